// The provider board: live packages matched to this provider, most urgent then newest,
// kept up to date over /ws (package.matched adds, package.closed removes).
import { api } from "./api.js";
import { announce, el } from "./dom.js";
import { URGENCY, countdown, day, place, roundFit, visit, when, words } from "./format.js";
import { LiveFeed } from "./live.js";

const packages = new Map();
const fresh = new Set();
const seen = new Set();
let loaded = false;
const early = [];
const board = document.getElementById("board");
const sortBy = document.getElementById("sort");

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

function render() {
  const items = [...packages.values()].filter((p) => p.status === "live").sort(sortBy && sortBy.value === "fit" ? byFit : order);
  board.replaceChildren(...items.map(card));
  document.getElementById("board-empty").hidden = items.length > 0;
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
    if (isNew && loaded) {
      fresh.add(d.package.id);
      announce(`New ${d.package.urgency} package: ${place(d.package)}. ${URGENCY[d.package.urgency].words}.`);
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
  } else if (msg.type === "deadline.reminder") {
    announce(`Reminder: ${label(d.package_id)} needs a response soon.`);
  } else {
    return;
  }
  if (loaded) render();
}

async function load() {
  // Offline (the app opened from its cache): keep the board as the server last rendered it.
  if (navigator.onLine === false) { window.addEventListener("online", load, { once: true }); return; }
  const result = await api("GET", "/api/packages?status=live");
  if (!result.ok && result.status === 0) { window.addEventListener("online", load, { once: true }); return; }
  if (!result.ok) { document.getElementById("board-empty").hidden = false; document.getElementById("board-empty").textContent = result.error.message; return; }
  packages.clear();
  for (const p of result.data) packages.set(p.id, p);
  loaded = true;
  for (const msg of early.splice(0)) apply(msg);
  render();
}

if (sortBy) sortBy.addEventListener("change", () => { if (loaded) render(); });

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
