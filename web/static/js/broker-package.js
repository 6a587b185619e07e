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

function renderPackage(p) {
  const u = URGENCY[p.urgency];
  document.getElementById("package-title").textContent = `${p.postcode} (${p.area || p.district})`;
  document.title = `${p.postcode} – Home care brokerage`;
  root.replaceChildren(
    el("p", {}, el("strong", { class: `govuk-tag ${u.tag}`, text: `${u.name}: ${u.words}` }), " ",
      el("strong", { class: "govuk-tag govuk-tag--grey", text: words(p.status) })),
    summaryList([
      ["Deadline", el("span", {}, p.status === "live" ? el("time", { datetime: p.deadline, "data-deadline": p.deadline, text: countdown(p.deadline) }) : "", ` ${when(p.deadline)}`)],
      ["Matched providers", `${p.matched} (wave ${p.wave})`],
      ["Hours per week", String(p.hours_per_week)],
      ["Visits", el("ul", { class: "govuk-list" }, (p.visits || []).map((v) => el("li", { text: visit(v) })))],
      ["Specialisms", p.specialisms.length ? p.specialisms.map(words).join(", ") : "None"],
      ["Service", `${words(p.service_type)}, ${words(p.client_group).toLowerCase()}`],
      ["Start date", day(p.start_date)],
      ["Summary for providers", p.shareable_summary || null],
      ["Private notes", p.summary || null],
      ["Reference", p.reference || null],
      ["Awarded to", p.awarded_provider_id ? nameOf(p.awarded_provider_id) : null],
      ["Ruled out", (p.excluded_providers || []).length ? `${p.excluded_providers.map(nameOf).join(", ")}${p.excluded_reason ? `: ${p.excluded_reason}` : ""}` : null],
    ]));
  root.removeAttribute("aria-busy");
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
        ["Status", words(o.status)],
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
  renderPackage(current);
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
