// One sentence per broker event, and how loud it should be.
import { URGENCY, day, money, words } from "./format.js";
import { userName } from "./people.js";
import { nameOf } from "./providers.js";

const DELIVERY = new Set(["notification.sent", "notification.failed", "notification.delivered"]);

export function isDelivery(type) {
  return DELIVERY.has(type);
}

// Brokers tell packages apart by the council's reference and the postcode.
function where(p) {
  return p ? [p.postcode || p.sector || p.district, p.reference, p.area].filter(Boolean).join(", ") : "";
}

// → {text, tone: "alert" | "win" | "", pid, by}: `by` names the user who did it (null for
// the service itself or a user no longer known; never an id).
export function describe(msg, packages) {
  const d = msg.data || {};
  const line = sentence(msg, packages);
  line.by = userName((d.offer && d.offer.submitted_by) || msg.actor);
  return line;
}

function sentence(msg, packages) {
  const d = msg.data || {};
  const pid = d.package_id || (d.package && d.package.id) || (d.offer && d.offer.package_id) || null;
  const p = (pid && packages.get(pid)) || d.package || null;
  const label = p ? `${where(p)}${p.urgency ? " (" + URGENCY[p.urgency].name.toLowerCase() + ")" : ""}` : "a package";
  switch (msg.type) {
    case "package.posted":
      return { pid, text: `Posted: ${label}, ${p.hours_per_week} hours a week. Matched ${d.matched} provider${d.matched === 1 ? "" : "s"}.`, tone: d.matched ? "" : "alert" };
    case "offer.submitted":
      return { pid, text: `Offer from ${nameOf(d.offer.provider_id)} for ${label}: ${money(d.offer.hourly_rate)} an hour, from ${day(d.offer.start_date)}.`, tone: "" };
    case "offer.withdrawn":
      return { pid, text: `${nameOf(d.provider_id)} withdrew its offer for ${label}.`, tone: "" };
    case "package.declined":
      return { pid, text: `${nameOf(d.provider_id)} declined ${label}: ${d.reason}`, tone: "" };
    case "deadline.reminder":
      return { pid, text: `Reminder sent for ${label} to providers who have not responded.`, tone: "" };
    case "deadline.extended":
      return { pid, text: `Deadline of ${label} moved to ${new Date(d.deadline).toLocaleString("en-GB", { timeZone: "Europe/London", dateStyle: "medium", timeStyle: "short" })}: ${d.reason || ""}`, tone: "" };
    case "package.wave_released":
      return { pid, text: `Nobody offered for ${label}: released to the ${d.tier} tier (wave ${d.wave}, ${d.matched} providers).`, tone: "" };
    case "package.awaiting_award":
      return { pid, text: `Deadline passed for ${label} with ${d.offers} offer${d.offers === 1 ? "" : "s"}: ready to award.`, tone: "alert" };
    case "package.unplaced":
      return { pid, text: `UNPLACED: nobody offered for ${label}. It needs action now.`, tone: "alert" };
    case "package.awarded":
      return { pid, text: `Awarded ${label} to ${nameOf(d.provider_id)} at ${money(d.hourly_rate)} an hour.`, tone: "win" };
    case "package.withdrawn":
      return { pid, text: `Withdrawn: ${label}. ${d.reason || ""}`, tone: "" };
    case "package.handed_back":
      return { pid, text: `${nameOf(d.provider_id)} handed back ${label}: ${d.reason}. Reposted.`, tone: "alert" };
    case "package.matched":
      return { pid, text: `Sent ${label} to ${nameOf(d.provider_id)}.`, tone: "", quiet: true };
    case "package.closed":
    case "offer.accepted":
    case "offer.declined":
      return { pid, text: `${words(msg.type.replace(".", " "))}: ${label}, ${nameOf(d.provider_id || (d.provider_ids || [])[0])}.`, tone: "", quiet: true };
    case "question.asked":
      return { pid, text: `${nameOf(d.provider_id)} asked about ${label}: ${d.text}`, tone: "alert" };
    case "question.answered":
      return { pid, text: `Answered ${d.published ? "for every matched provider" : "privately"}: ${d.question} – ${d.answer}`, tone: "" };
    case "deadline.extension_requested":
      return { pid, text: `${nameOf(d.provider_id)} asked for more time on ${label}: ${d.reason}`, tone: "alert" };
    case "deadline.extension_refused":
      return { pid, text: `More time refused to ${nameOf(d.provider_id)}: ${d.reason}`, tone: "" };
    case "purchase_order.issued":
      return { pid, text: `Purchase order ${d.number} version ${d.version} issued: ${money(d.weekly_cost)} a week.`, tone: "win" };
    case "variation.proposed":
      return { pid, text: `Change proposed by the ${(d.variation || {}).proposed_by === "broker" ? "council" : "provider"}: ${(d.variation || {}).reason || ""}`, tone: "" };
    case "variation.accepted":
      return { pid, text: `Change accepted${d.auto ? " within the flex (provider's change)" : ""}: ${d.hours_per_week} hours a week from ${d.effective_from}.`, tone: d.auto ? "alert" : "win" };
    case "variation.declined":
      return { pid, text: `Change declined${d.reason ? ": " + d.reason : ""}.`, tone: "" };
    case "availability.posted":
      return { pid: null, text: `${nameOf(d.provider_id)} posted availability.`, tone: "" };
    default:
      if (isDelivery(msg.type)) return { pid, text: `${words(msg.type.split(".")[1])}: ${d.channel || "message"} to ${userName(d.user_id) || "a user"}${d.error ? " (" + d.error + ")" : ""}.`, tone: msg.type === "notification.failed" ? "alert" : "", delivery: true };
      return { pid, text: `${msg.type}`, tone: "" };
  }
}
