// One package for a broker: everything about it, offers ranked by score with their parts,
// the award (with a confirmation step) and the audit trail; kept live over /ws.
import { api } from "./api.js";
import { announce, el, pageError, summaryList } from "./dom.js";
import { describe, toggleDeliveries } from "./events.js";
import { URGENCY, countdown, day, money, roundFit, visit, when, words } from "./format.js";
import { LiveFeed } from "./live.js";
import { knowPeople } from "./people.js";
import { nameOf, providerNames } from "./providers.js";

const root = document.getElementById("package");
const id = root.dataset.packageId;
const confirmBox = document.getElementById("award-confirm");
const historyList = document.getElementById("history");
const showDelivery = document.getElementById("show-delivery");
let current = null;
let chosen = null;

// Only a live package has a deadline to count down; after it, the outcome: who it was
// awarded to, at what rate, and its purchase order; or why it closed.
function outcome(p, offers, history) {
  const last = (type) => history.filter((e) => e.type === type).pop();
  switch (p.status) {
    case "live":
      return ["Deadline", el("span", {}, el("time", { datetime: p.deadline, "data-deadline": p.deadline, text: countdown(p.deadline) }), ` (${when(p.deadline)})`)];
    case "awaiting_award":
      return ["Deadline", `Passed ${when(p.deadline)}: ready to award.`];
    case "awarded": {
      const offer = offers.find((o) => o.id === p.awarded_offer_id);
      const order = last("purchase_order.issued");
      return ["Outcome", el("span", {},
        `Awarded to ${nameOf(p.awarded_provider_id)}${offer ? ` at ${money(offer.hourly_rate)} an hour` : ""} on ${when(p.awarded_at)}.`, el("br"),
        el("a", { class: "govuk-link", href: `/purchase-orders/${encodeURIComponent(p.id)}` },
          order ? `Purchase order ${order.data.number}, version ${order.data.version}` : "Purchase order"))];
    }
    case "withdrawn": {
      const withdrawn = last("package.withdrawn");
      return ["Outcome", `Withdrawn on ${when(p.closed_at)}${withdrawn && withdrawn.data.reason ? `: ${withdrawn.data.reason}` : "."}`];
    }
    case "unplaced":
      return ["Outcome", `Unplaced: nobody offered by the deadline, ${when(p.deadline)}.`];
    case "handed_back": {
      const back = last("package.handed_back");
      return ["Outcome", el("span", {},
        `Handed back${back ? ` by ${nameOf(back.data.provider_id)}` : ""} on ${when(p.closed_at)}${back && back.data.reason ? `: ${back.data.reason}` : ""}.`,
        p.new_package_id ? el("br") : null, p.new_package_id ? el("a", { class: "govuk-link", href: `/broker/packages/${encodeURIComponent(p.new_package_id)}` }, "The package as posted again") : null)];
    }
    default:
      return ["Deadline", when(p.deadline)];
  }
}

function renderPackage(p, offers, history) {
  const u = URGENCY[p.urgency];
  document.getElementById("package-title").textContent = `${p.postcode} (${p.area || p.district})`;
  document.title = `${p.postcode} – Home care brokerage`;
  root.replaceChildren(
    el("p", {}, el("strong", { class: `govuk-tag ${u.tag}`, text: p.status === "live" ? `${u.name}: ${u.words}` : u.name }), " ",
      el("strong", { class: "govuk-tag govuk-tag--grey", text: words(p.status) })),
    summaryList([
      outcome(p, offers, history),
      ["Matched providers", `${p.matched} (wave ${p.wave})`],
      ["Hours per week", String(p.hours_per_week)],
      ["Visits", el("ul", { class: "govuk-list" }, (p.visits || []).map((v) => el("li", { text: visit(v) })))],
      ["Specialisms", p.specialisms.length ? p.specialisms.map(words).join(", ") : "None"],
      ["Service", `${words(p.service_type)}, ${words(p.client_group).toLowerCase()}`],
      ["Start date", day(p.start_date)],
      ["Summary for providers", p.shareable_summary || null],
      ["Private notes", p.summary || null],
      ["Reference", p.reference || null],
      ["Ruled out", (p.excluded_providers || []).length ? `${p.excluded_providers.map(nameOf).join(", ")}${p.excluded_reason ? `: ${p.excluded_reason}` : ""}` : null],
    ]));
  root.removeAttribute("aria-busy");
  hideStaleActions(p.status);
}

// The actions were drawn for the status the page opened with: once the package moves on
// (awarded, closed) while the page is open, those that no longer apply go.
function hideStaleActions(status) {
  const open = status === "live" || status === "awaiting_award";
  for (const [selector, applies] of [["#extend", status === "live"], ["#release", status === "live"], ["#withdraw", open]]) {
    const node = document.querySelector(selector);
    if (node && !applies) node.hidden = true;
  }
  const heading = document.getElementById("actions");
  const left = ["#extend", "#release", "#withdraw", "#repost"].some((s) => { const n = document.querySelector(s); return n && !n.hidden; });
  if (heading && !left) heading.hidden = true;
}

function renderOffers(offers) {
  const open = current && (current.status === "live" || current.status === "awaiting_award");
  document.getElementById("offers-empty").hidden = offers.length > 0;
  document.getElementById("offers").replaceChildren(...offers.map((o, n) => {
    const name = o.provider_name || nameOf(o.provider_id);
    return el("li", { class: `app-offer app-offer--${o.status}${o.status === "submitted" || o.status === "accepted" ? "" : " app-offer--out"}` },
      el("h3", { class: "govuk-heading-s" }, `${n + 1}. ${name}`),
      el("p", { class: "govuk-body" }, el("span", { class: "app-score", text: `Score ${Number(o.score).toFixed(1)}` }),
        ` = quality ${Number(o.score_parts.quality).toFixed(0)} (CQC ${words(o.cqc_rating).toLowerCase()}) and price ${Number(o.score_parts.price).toFixed(0)}`),
      summaryList([
        ["Hourly rate", money(o.hourly_rate)],
        ["Round fit (not scored)", o.round_fit ? roundFit(o.round_fit).replace("from your", "from its") : (open ? "No current client or availability in these times" : null)],
        ["Can start", day(o.start_date)],
        ["Note", o.note || null],
        // "Declined" would read as the provider turning the package down; the provider sees the same words.
        ["Status", o.status === "declined" ? "Not chosen" : words(o.status)],
      ]),
      open && o.status === "submitted"
        ? el("button", { type: "button", class: "govuk-button", onclick: () => ask(o, name) }, `Award to ${name}`)
        : null);
  }));
}

function ask(offer, name) {
  chosen = offer;
  document.getElementById("award-confirm-text").textContent =
    `${name} at ${money(offer.hourly_rate)} an hour, starting ${day(offer.start_date)}. Every other provider that offered is told at once. This cannot be undone.`;
  confirmBox.hidden = false;
  confirmBox.focus();
}

document.getElementById("award-no").addEventListener("click", () => { confirmBox.hidden = true; chosen = null; });
document.getElementById("award-yes").addEventListener("click", async () => {
  if (!chosen) return;
  const result = await api("POST", `/api/packages/${encodeURIComponent(id)}/award`, { offer_id: chosen.id });
  confirmBox.hidden = true;
  chosen = null;
  if (!result.ok) pageError(result.error.message);
  else announce("The package is awarded.");
  await load();
  // The focused confirmation is gone and the page above it shrank: without this a phone is
  // left looking at the history. Take the broker to the outcome (or the error) at the top.
  const top = result.ok ? document.getElementById("package-title") : document.querySelector("#page-errors .govuk-error-summary");
  if (top) { top.setAttribute("tabindex", "-1"); top.focus(); }
});

// One line per event of the package's audit trail, each once (by its id); message receipts
// follow the "show deliveries" checkbox, as in the live feed.
function renderHistory(history) {
  const packages = new Map([[id, current]]);
  const seen = new Set();
  const items = [];
  for (const e of history) {
    if (seen.has(e.id)) continue;
    seen.add(e.id);
    const line = describe(e, packages);
    items.push(el("li", { class: `govuk-body${line.tone ? " app-feed__item--" + line.tone : ""}`, "data-type": e.type, "data-event-id": e.id, hidden: line.delivery && !showDelivery.checked },
      el("time", { datetime: e.at, text: when(e.at) }), line.text,
      line.by ? el("span", { class: "app-feed__by" }, ` By ${line.by}.`) : null));
  }
  historyList.replaceChildren(...items);
}

async function fetchAll() {
  await providerNames();
  const path = `/api/packages/${encodeURIComponent(id)}`;
  const [pkg, offers, history] = await Promise.all([api("GET", path), api("GET", `${path}/offers`), api("GET", `${path}/history`)]);
  if (!pkg.ok) { root.removeAttribute("aria-busy"); pageError(pkg.error.message); return; }
  const trail = history.ok ? history.data : [];
  await knowPeople(trail);
  current = pkg.data;
  renderPackage(current, offers.ok ? offers.data : [], trail);
  renderOffers(offers.ok ? offers.data : []);
  renderHistory(trail);
}

// One load at a time, and one more after it when events arrive meanwhile (a wave of matches
// is many events): an answer that started earlier never paints over a later one.
let loading = null;
let again = false;
function load() {
  if (loading) { again = true; return loading; }
  loading = fetchAll().finally(() => {
    loading = null;
    if (again) { again = false; load(); }
  });
  return loading;
}

const feed = new LiveFeed({
  statusEl: document.getElementById("live-status"),
  onEvent: (msg) => {
    const d = msg.data || {};
    const pid = d.package_id || (d.package && d.package.id) || (d.offer && d.offer.package_id);
    if (pid === id) {
      if (msg.type === "offer.submitted") announce("A new offer has arrived.");
      load();
    }
  },
  onResync: load,
});
feed.start();
toggleDeliveries(historyList, showDelivery);
load();
setInterval(() => {
  for (const t of document.querySelectorAll("time[data-deadline]")) t.textContent = countdown(t.dataset.deadline);
}, 1000);
