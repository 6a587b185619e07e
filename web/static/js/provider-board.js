// The provider board: live packages matched to this provider, most urgent then newest,
// kept up to date over /ws (package.matched adds, package.closed removes). Each card says
// what the team has done about it ("Sam offered £22.00 – waiting for the council"), read
// from /api/team/responses on load and again when a teammate offers, withdraws or declines.
import { api } from "./api.js";
import { announce, el } from "./dom.js";
import { URGENCY, countdown, day, place, roundFit, visit, when, words } from "./format.js";
import { LiveFeed } from "./live.js";
import { alertRed, setUpRedAlerts } from "./red-alerts.js";

const packages = new Map();
const fresh = new Set();
const seen = new Set();
let loaded = false;
const early = [];
const board = document.getElementById("board");
const sortBy = document.getElementById("sort");
const onlyUnanswered = document.getElementById("show");
const states = new Map();
const TITLE = document.title.replace(/^\(\d+\) /, "");
const UNANSWERED = { state: "unanswered", text: "Not yet answered", tag: "govuk-tag--yellow" };
const TEAM_EVENTS = new Set(["offer.submitted", "offer.withdrawn", "package.declined"]);

// Nearest to a current round first; packages that fit no round after, most urgent first.
function byFit(a, b) {
  const ka = a.round_fit ? a.round_fit.km : Infinity, kb = b.round_fit ? b.round_fit.km : Infinity;
  if (ka !== kb) return ka - kb;
  return order(a, b);
}

function order(a, b) {
  const u = URGENCY[a.urgency].rank - URGENCY[b.urgency].rank;
  if (u) return u;
  if (a.matched_availability !== b.matched_availability) return a.matched_availability ? -1 : 1;
  return (b.posted_at || "").localeCompare(a.posted_at || "");
}

function card(p) {
  const u = URGENCY[p.urgency];
  const hours = `${p.hours_per_week} hours a week`;
  return el("li", { class: `app-card app-card--${p.urgency}`, "data-package-id": p.id },
    el("div", { class: "app-card__top" },
      el("strong", { class: `govuk-tag ${u.tag} app-urgency`, text: `${u.name}: ${u.words}` }),
      fresh.has(p.id) ? el("strong", { class: "govuk-tag govuk-tag--blue", text: "New" }) : null,
      p.matched_availability ? el("strong", { class: "govuk-tag govuk-tag--turquoise", text: "Matches your availability" }) : null),
    el("h2", { class: "govuk-heading-s app-card__title" },
      el("a", { class: "govuk-link", href: `/provider/packages/${encodeURIComponent(p.id)}` }, place(p) || "Package",
        el("span", { class: "govuk-visually-hidden", text: `, ${u.name.toLowerCase()} urgency` }))),
    states.has(p.id)
      ? el("p", { class: "govuk-body app-card__team" },
        el("strong", { class: `govuk-tag ${states.get(p.id).tag} app-team-state`, "data-state": states.get(p.id).state, text: states.get(p.id).text }))
      : null,
    el("p", { class: "govuk-body app-countdown" },
      el("time", { datetime: p.deadline, "data-deadline": p.deadline, text: countdown(p.deadline) }),
      ` · respond by ${when(p.deadline)}`),
    el("p", { class: "govuk-body app-card__needs" }, `${hours} · starts ${day(p.start_date)} · ${words(p.service_type)}, ${words(p.client_group).toLowerCase()}`),
    el("ul", { class: "govuk-list app-card__visits" }, (p.visits || []).map((v) => el("li", { text: visit(v) }))),
    el("p", { class: `govuk-body-s app-card__fit${p.round_fit ? " app-card__fit--near" : ""}` },
      el("span", { class: "app-label", text: "Fits your rounds: " }),
      p.round_fit ? roundFit(p.round_fit) : "no current client or availability in these times"),
    p.specialisms && p.specialisms.length
      ? el("p", { class: "govuk-body-s" }, el("span", { class: "app-label", text: "Specialisms: " }), p.specialisms.map(words).join(", "))
      : null,
    p.previous_hand_backs && p.previous_hand_backs.length
      ? el("p", { class: "govuk-body-s", text: `Handed back before: ${p.previous_hand_backs.map((h) => h.reason).join("; ")}` })
      : null);
}

const unanswered = (p) => (states.get(p.id) || UNANSWERED).state === "unanswered";

function render() {
  const live = [...packages.values()].filter((p) => p.status === "live");
  const waiting = live.filter(unanswered).length;
  document.title = waiting ? `(${waiting}) ${TITLE}` : TITLE;
  document.getElementById("unanswered-count").textContent = String(waiting);
  const filtered = onlyUnanswered && onlyUnanswered.checked;
  const items = live.filter((p) => !filtered || unanswered(p)).sort(sortBy && sortBy.value === "fit" ? byFit : order);
  board.replaceChildren(...items.map(card));
  const note = document.getElementById("filter-note");
  note.hidden = !filtered;
  note.textContent = `Showing ${items.length} of ${live.length} live packages: only those not yet answered.`;
  const empty = document.getElementById("board-empty");
  empty.hidden = items.length > 0;
  if (!items.length) {
    empty.replaceChildren(filtered && live.length
      ? "Your team has answered every live package. Untick the box above to see them all."
      : "No live packages for you right now.");
  }
  for (const p of items) {
    if (!seen.has(p.id)) { seen.add(p.id); feed.send({ type: "seen", package_id: p.id }); }
  }
}

function outcome(text, success) {
  const box = el("div", { class: `govuk-notification-banner${success ? " govuk-notification-banner--success" : ""}`, role: "alert" },
    el("div", { class: "govuk-notification-banner__header" }, el("h2", { class: "govuk-notification-banner__title", text: success ? "Success" : "Important" })),
    el("div", { class: "govuk-notification-banner__content" }, el("p", { class: "govuk-notification-banner__heading", text })));
  document.getElementById("outcomes").prepend(box);
}

function label(id) {
  const p = packages.get(id);
  return p ? place(p) : "a package";
}

function apply(msg) {
  const d = msg.data || {};
  if (msg.type === "package.matched" && d.package) {
    const isNew = !packages.has(d.package.id);
    packages.set(d.package.id, d.package);
    if (!states.has(d.package.id)) states.set(d.package.id, UNANSWERED);
    if (isNew && loaded) {
      fresh.add(d.package.id);
      announce(`New ${d.package.urgency} package: ${place(d.package)}. ${URGENCY[d.package.urgency].words}.`);
      if (d.package.urgency === "red") alertRed(d.package.id, place(d.package));
    }
  } else if (msg.type === "package.closed") {
    if (packages.has(d.package_id) && loaded) announce(`Package ${label(d.package_id)} is no longer available.`);
    packages.delete(d.package_id);
  } else if (msg.type === "offer.accepted") {
    outcome(`Your offer for ${label(d.package_id)} was accepted. The package is yours: see My offers for the full details.`, true);
    packages.delete(d.package_id);
  } else if (msg.type === "offer.declined") {
    outcome(`Your offer for ${label(d.package_id)} was not chosen${d.reason === "awarded_elsewhere" ? ": the package went to another provider" : ""}.`, false);
    packages.delete(d.package_id);
  } else if (TEAM_EVENTS.has(msg.type)) {
    // A teammate (or this person, on another page) answered: read the team's state again.
    if (packages.has(d.package_id)) refreshStates(d.package_id);
    return;
  } else if (msg.type === "deadline.reminder") {
    announce(`Reminder: ${label(d.package_id)} needs a response soon.`);
  } else {
    return;
  }
  if (loaded) render();
}

async function refreshStates(packageId) {
  const result = await api("GET", `/api/team/responses?package_id=${encodeURIComponent(packageId)}`);
  if (!result.ok) return;
  for (const s of result.data) states.set(s.package_id, s);
  if (loaded) render();
}

async function load() {
  // Offline (the app opened from its cache): keep the board as the server last rendered it.
  if (navigator.onLine === false) { window.addEventListener("online", load, { once: true }); return; }
  // The team's states are asked for at the same time: one round trip on a slow line.
  const [result, team] = await Promise.all([api("GET", "/api/packages?status=live"), api("GET", "/api/team/responses")]);
  if (!result.ok && result.status === 0) { window.addEventListener("online", load, { once: true }); return; }
  if (!result.ok) { document.getElementById("board-empty").hidden = false; document.getElementById("board-empty").textContent = result.error.message; return; }
  packages.clear();
  for (const p of result.data) packages.set(p.id, p);
  if (team.ok) { states.clear(); for (const s of team.data) states.set(s.package_id, s); }
  loaded = true;
  for (const msg of early.splice(0)) apply(msg);
  render();
  board.dataset.loaded = "true";
}

if (sortBy) sortBy.addEventListener("change", () => { if (loaded) render(); });
if (onlyUnanswered) {
  // With the script the box filters at once (and the address keeps it, for a reload).
  document.getElementById("filter-apply").hidden = true;
  onlyUnanswered.addEventListener("change", () => {
    const url = new URL(location.href);
    if (onlyUnanswered.checked) url.searchParams.set("show", "unanswered"); else url.searchParams.delete("show");
    history.replaceState(null, "", url);
    if (loaded) render();
  });
}
setUpRedAlerts();

const feed = new LiveFeed({
  statusEl: document.getElementById("live-status"),
  onEvent: (msg) => (loaded ? apply(msg) : early.push(msg)),
  onResync: () => { loaded = false; load(); },
});
feed.start();
load();

setInterval(() => {
  for (const t of board.querySelectorAll("time[data-deadline]")) t.textContent = countdown(t.dataset.deadline);
}, 1000);
