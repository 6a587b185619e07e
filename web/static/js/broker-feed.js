// The broker's live feed: every event as it happens, unplaced packages in a red banner
// that cannot be missed, packages ready to award, and the live packages list.
import { api } from "./api.js";
import { announce, el } from "./dom.js";
import { describe, toggleDeliveries } from "./events.js";
import { URGENCY, countdown, when } from "./format.js";
import { LiveFeed } from "./live.js";
import { knowPeople } from "./people.js";

const packages = new Map();
const feedList = document.getElementById("feed");
const showDelivery = document.getElementById("show-delivery");
let ready = false;
const early = [];

function link(p, text) {
  return el("a", { class: "govuk-link", href: `/broker/packages/${encodeURIComponent(p.id)}` }, text);
}

function label(p) {
  return [p.postcode || p.sector || p.district, p.reference, p.area].filter(Boolean).join(", ");
}

function renderLists() {
  const all = [...packages.values()];
  const live = all.filter((p) => p.status === "live").sort((a, b) => URGENCY[a.urgency].rank - URGENCY[b.urgency].rank || b.posted_at.localeCompare(a.posted_at));
  document.getElementById("live-list").replaceChildren(...live.map((p) => el("li", {},
    el("strong", { class: `govuk-tag ${URGENCY[p.urgency].tag}`, text: URGENCY[p.urgency].name }), " ",
    link(p, label(p)), el("br"),
    el("span", { class: "govuk-body-s" }, `${p.matched} matched · ${p.offer_count || 0} offer${p.offer_count === 1 ? "" : "s"} · `, el("time", { datetime: p.deadline, "data-deadline": p.deadline, text: countdown(p.deadline) })))));
  document.getElementById("live-empty").hidden = live.length > 0;

  const unplaced = all.filter((p) => p.status === "unplaced");
  document.getElementById("unplaced-list").replaceChildren(...unplaced.map((p) => el("li", {}, link(p, label(p)), ` · ${URGENCY[p.urgency].name} · ${p.hours_per_week} hours a week · posted ${when(p.posted_at)}`)));
  document.getElementById("unplaced-banner").hidden = unplaced.length === 0;

  const awaiting = all.filter((p) => p.status === "awaiting_award");
  document.getElementById("awaiting-list").replaceChildren(...awaiting.map((p) => el("li", {}, link(p, label(p)), ` · ${URGENCY[p.urgency].name}`)));
  document.getElementById("awaiting-banner").hidden = awaiting.length === 0;
}

const STATUS_AFTER = {
  "package.awaiting_award": "awaiting_award", "package.unplaced": "unplaced", "package.awarded": "awarded",
  "package.withdrawn": "withdrawn", "package.handed_back": "handed_back",
};

function track(msg) {
  const d = msg.data || {};
  if (msg.type === "package.posted" && d.package) packages.set(d.package.id, { ...d.package, matched: d.matched });
  const status = STATUS_AFTER[msg.type];
  if (status && packages.has(d.package_id)) packages.get(d.package_id).status = status;
  if (msg.type === "offer.submitted" && d.offer && packages.has(d.offer.package_id || d.package_id)) {
    const p = packages.get(d.offer.package_id || d.package_id);
    p.offer_count = (p.offer_count || 0) + 1;
  }
  if (msg.type === "deadline.extended" && packages.has(d.package_id)) packages.get(d.package_id).deadline = d.deadline;
  if (msg.type === "package.wave_released" && packages.has(d.package_id)) Object.assign(packages.get(d.package_id), { deadline: d.deadline, matched: (packages.get(d.package_id).matched || 0) + d.matched });
}

function show(msg, remembered = false) {
  const line = describe(msg, packages);
  if (line.quiet) return;
  const p = line.pid && packages.get(line.pid);
  const item = el("li", { class: `govuk-body app-feed__item${line.tone ? " app-feed__item--" + line.tone : ""}`, "data-type": msg.type, hidden: line.delivery && !showDelivery.checked },
    el("time", { datetime: msg.at, text: when(msg.at) }),
    p ? link(p, line.text) : line.text,
    line.by ? el("span", { class: "app-feed__by" }, ` By ${line.by}.`) : null);
  feedList.prepend(item);
  while (feedList.children.length > 300) feedList.lastElementChild.remove();
  document.getElementById("feed-empty").hidden = true;
  if (line.tone === "alert" && !remembered) announce(line.text);
}

// Names first (a user or provider new since the page loaded is looked up), then the line;
// one event at a time, so the feed keeps the order events happened in.
let chain = Promise.resolve();

function apply(msg) {
  chain = chain.then(() => knowPeople([msg])).catch(() => {}).then(() => {
    track(msg);
    show(msg);
    renderLists();
  });
}

toggleDeliveries(feedList, showDelivery);

// The feed remembers: the last 100 events from the event log are shown first, then the
// socket resumes right after the last of them, so nothing is missed or shown twice.
async function load() {
  const [recent, live, unplaced, awaiting] = await Promise.all([
    api("GET", "/api/events/recent?limit=100"),
    ...["live", "unplaced", "awaiting_award"].map((s) => api("GET", `/api/packages?status=${s}`))]);
  await knowPeople(recent.ok ? recent.data.events : []);
  packages.clear();
  for (const r of [live, unplaced, awaiting]) if (r.ok) for (const p of r.data) packages.set(p.id, p);
  feedList.replaceChildren();
  if (recent.ok) {
    for (const msg of recent.data.events) {
      const d = msg.data || {};
      // Remember what each event says about a package without replaying its status changes:
      // the lists above are already current.
      if (msg.type === "package.posted" && d.package && !packages.has(d.package.id)) packages.set(d.package.id, { ...d.package, matched: d.matched, status: "past" });
      show(msg, true);
    }
  }
  ready = true;
  for (const msg of early.splice(0)) apply(msg);
  renderLists();
  return recent.ok ? recent.data.last_id : null;
}

const feed = new LiveFeed({
  statusEl: document.getElementById("live-status"),
  onEvent: (msg) => (ready ? apply(msg) : early.push(msg)),
  onResync: () => { ready = false; feed.lastId = null; load(); },
});
load().then((lastId) => {
  if (lastId) feed.lastId = lastId;
  feed.start();
});
setInterval(() => {
  for (const t of document.querySelectorAll("time[data-deadline]")) t.textContent = countdown(t.dataset.deadline);
}, 1000);
