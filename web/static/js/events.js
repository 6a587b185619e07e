// One sentence per broker event, and how loud it should be.
import { URGENCY, day, money, words } from "./format.js";
import { userName, userProvider } from "./people.js";
import { nameOf } from "./providers.js";

// Routine receipts of a message reaching someone: shown only when asked for (a failure is not
// routine, and is always shown).
const DELIVERY = new Set(["notification.sent", "notification.delivered"]);

export function isDelivery(type) {
  return DELIVERY.has(type);
}

// The "show deliveries" checkbox over a list whose items carry data-type: receipts follow it.
export function toggleDeliveries(list, box) {
  box.addEventListener("change", () => {
    for (const item of list.children) if (isDelivery(item.dataset.type)) item.hidden = !box.checked;
  });
}

const CHANNEL = { email: "Email", sms: "Text message", push: "Push message" };
const HOW = { "notification.sent": "sent to", "notification.delivered": "delivered to", "notification.failed": "could not be sent to" };
// What the message was about (the event it told of), in the provider's terms.
const ABOUT = {
  "package.matched": "new package", "deadline.reminder": "reminder to respond", "offer.accepted": "offer accepted",
  "offer.declined": "offer not chosen", "package.closed": "package closed", "deadline.extended": "deadline moved",
  "question.answered": "answer to a question", "question.asked": "question asked", "package.unplaced": "package unplaced",
  "package.awaiting_award": "ready to award", "deadline.extension_requested": "more time asked for",
  "deadline.extension_refused": "more time refused", "variation.proposed": "change proposed",
  "variation.accepted": "change accepted", "variation.declined": "change declined",
};

// "Email sent to jo@alpha-care.test (Alpha Care): new package." The user's provider is named
// when the user belongs to one, so a broker sees which provider each message reached.
function delivery(msg, pid) {
  const d = msg.data || {};
  const provider = userProvider(d.user_id);
  const who = `${userName(d.user_id) || "a user"}${provider ? ` (${nameOf(provider)})` : ""}`;
  const about = d.event ? `: ${ABOUT[d.event] || words(d.event.replace(".", " ")).toLowerCase()}` : "";
  const failed = msg.type === "notification.failed";
  return {
    pid, text: `${CHANNEL[d.channel] || "Message"} ${HOW[msg.type]} ${who}${about}${failed && d.error ? ` (${d.error})` : ""}.`,
    tone: failed ? "alert" : "", delivery: !failed,
  };
}

// package.closed: who was told what (the event names no provider: it goes to many).
const CLOSED = {
  awarded_elsewhere: "Matched providers that did not offer told it went to another provider.",
  withdrawn: "Matched providers told the package is withdrawn.",
  deadline: "Matched providers told the package closed with no offers.",
};

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
      // The deadline releases the next tier when nobody offered; a broker may release it early.
      return { pid, text: `${msg.actor && msg.actor !== "system" ? "Released early" : "Nobody offered, so released"}: ${label} went to the ${d.tier} tier (wave ${d.wave}, ${d.matched} provider${d.matched === 1 ? "" : "s"}).`, tone: "" };
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
    // What each provider is told: quiet in the live feed, a line each in a package's history.
    case "package.matched":
      // A provider already matched that declares availability fitting the package is told again.
      if (d.reason === "availability") return { pid, text: `${nameOf(d.provider_id)} declared availability that fits this package: listed first on its board.`, tone: "", quiet: true };
      return { pid, text: `Matched to ${nameOf(d.provider_id)}: the package is on its board.`, tone: "", quiet: true };
    case "offer.accepted":
      return { pid, text: `${nameOf(d.provider_id)} told its offer is accepted.`, tone: "", quiet: true };
    case "offer.declined":
      return { pid, text: `${nameOf(d.provider_id)} told its offer was not chosen.`, tone: "", quiet: true };
    case "package.closed":
      return { pid, text: CLOSED[d.reason] || `Matched providers told ${label} is closed.`, tone: "", quiet: true };
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
      if (msg.type in HOW) return delivery(msg, pid);
      return { pid, text: `${msg.type}`, tone: "" };
  }
}
