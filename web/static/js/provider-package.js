// One package for a provider: its needs (redacted before award), the provider's own
// offer(s), and the offer and decline forms. Opening it marks the package seen (GET does).
import { api } from "./api.js";
import { dateValue } from "./date-input.js";
import { announce, clearErrors, el, pageError, showErrors, summaryList } from "./dom.js";
import { URGENCY, countdown, day, money, place, roundFit, visit, when, words } from "./format.js";
import { LiveFeed } from "./live.js";

const root = document.getElementById("package");
const id = root.dataset.packageId;
const offerForm = document.getElementById("offer-form");
const declineForm = document.getElementById("decline-form");
const handBackForm = document.getElementById("hand-back-form");
let current = null;
let handedBack = false; // keep the confirmation in view once the page reloads the package

// Only a live package has a deadline to count down; after it, what became of the package
// (the winner sees its rate and purchase order; other providers never learn who won).
function outcome(p, offers, order) {
  const accepted = offers.find((o) => o.status === "accepted");
  switch (p.status) {
    case "live":
      return ["Respond by", el("span", {}, el("time", { datetime: p.deadline, "data-deadline": p.deadline, class: "app-countdown", text: countdown(p.deadline) }), ` (${when(p.deadline)})`)];
    case "awaiting_award":
      return ["Respond by", `${when(p.deadline)}. The deadline has passed: the council is choosing.`];
    case "awarded":
      if (!p.awarded_provider_id) return ["Outcome", "Awarded to another provider."];
      return ["Outcome", el("span", {},
        `Awarded to you${accepted ? ` at ${money(accepted.hourly_rate)} an hour` : ""} on ${when(p.awarded_at)}.`, el("br"),
        el("a", { class: "govuk-link", href: `/purchase-orders/${encodeURIComponent(p.id)}` },
          order ? `Purchase order ${order.number}, version ${order.version}` : "Purchase order"))];
    case "withdrawn":
      return ["Outcome", "Withdrawn by the council."];
    case "unplaced":
      return ["Outcome", `Closed with no offers when the deadline passed (${when(p.deadline)}).`];
    case "handed_back":
      return ["Outcome", "Handed back, and posted again to other providers."];
    default:
      return ["Respond by", when(p.deadline)];
  }
}

function renderPackage(p, offers, order) {
  const u = URGENCY[p.urgency];
  document.getElementById("package-title").textContent = place(p) || "Package";
  document.title = `${place(p)} – Home care brokerage`;
  const open = p.status === "live";
  root.replaceChildren(
    el("div", { class: "app-card__top" },
      el("strong", { class: `govuk-tag ${u.tag}`, text: open ? `${u.name}: ${u.words}` : u.name }),
      p.matched_availability ? el("strong", { class: "govuk-tag govuk-tag--turquoise", text: "Matches your availability" }) : null,
      open ? null : el("strong", { class: "govuk-tag govuk-tag--grey", text: words(p.status) })),
    summaryList([
      outcome(p, offers, order),
      ["Where", place(p)],
      ["Fits your rounds", p.status === "live" ? (roundFit(p.round_fit) || "No current client or availability in these times") : null],
      ["Postcode", p.postcode || null],
      ["Hours per week", String(p.hours_per_week)],
      ["Visits", el("ul", { class: "govuk-list" }, (p.visits || []).map((v) => el("li", { text: visit(v) })))],
      ["Specialisms", p.specialisms && p.specialisms.length ? p.specialisms.map(words).join(", ") : "None"],
      ["Service", `${words(p.service_type)}, ${words(p.client_group).toLowerCase()}`],
      ["Start date", day(p.start_date)],
      ["Summary", p.summary || p.shareable_summary || null],
      ["Council reference", p.reference || null],
      ["Handed back before", p.previous_hand_backs && p.previous_hand_backs.length ? p.previous_hand_backs.map((h) => h.reason).join("; ") : null],
    ]));
  root.removeAttribute("aria-busy");
}

function renderOffers(offers) {
  const section = document.getElementById("my-offers");
  section.hidden = offers.length === 0;
  document.getElementById("my-offers-list").replaceChildren(...offers.map((o) => el("div", { class: `app-offer app-offer--${o.status}` },
    summaryList([
      ["Hourly rate", money(o.hourly_rate)],
      ["Start date", day(o.start_date)],
      ["Made", when(o.submitted_at)],
      ["Status", el("strong", { class: "govuk-tag " + ({ submitted: "govuk-tag--blue", accepted: "govuk-tag--green", declined: "govuk-tag--red", withdrawn: "govuk-tag--grey" }[o.status] || ""), text: { submitted: "Waiting for the council's decision", accepted: "Accepted: the package is yours", declined: "Not chosen", withdrawn: "Withdrawn" }[o.status] || o.status })],
    ]),
    o.status === "submitted" && current && current.status === "live"
      ? el("button", { type: "button", class: "govuk-button govuk-button--secondary", onclick: () => withdraw(o) }, "Withdraw offer")
      : null)));
  const pending = offers.some((o) => o.status === "submitted" || o.status === "accepted");
  document.getElementById("respond").hidden = !current || current.status !== "live" || pending;
}

async function load() {
  const result = await api("GET", `/api/packages/${encodeURIComponent(id)}`);
  if (!result.ok) {
    root.removeAttribute("aria-busy");
    document.getElementById("package-title").textContent = "Package not available";
    root.replaceChildren(el("p", { class: "govuk-body", text: result.status === 404 ? "This package is no longer available to you. It may have been awarded, withdrawn or closed." : result.error.message }));
    document.getElementById("respond").hidden = true;
    return;
  }
  current = result.data;
  const offers = await api("GET", `/api/packages/${encodeURIComponent(id)}/offers`);
  const won = current.status === "awarded" && current.awarded_provider_id;
  const order = won ? await api("GET", `/api/packages/${encodeURIComponent(id)}/purchase-order`) : null;
  renderPackage(current, offers.ok ? offers.data : [], order && order.ok ? order.data : null);
  // Only the provider the package was awarded to gets the full view, postcode included.
  document.getElementById("hand-back").hidden = !handedBack && !(current.status === "awarded" && current.postcode);
  renderOffers(offers.ok ? offers.data : []);
  await loadTeamState();
}

// What the team has done about this package ("Declined by Sam"), kept live like the board.
async function loadTeamState() {
  const result = await api("GET", `/api/team/responses?package_id=${encodeURIComponent(id)}`);
  const line = document.getElementById("team-state");
  const s = result.ok ? result.data[0] : null;
  if (!line || !s) return;
  const tag = line.querySelector(".app-team-state");
  tag.className = `govuk-tag ${s.tag} app-team-state`;
  tag.dataset.state = s.state;
  tag.textContent = s.text;
  line.hidden = false;
}

async function withdraw(offer) {
  const result = await api("DELETE", `/api/packages/${encodeURIComponent(id)}/offers/${encodeURIComponent(offer.id)}`);
  if (!result.ok) pageError(result.error.message);
  else announce("Your offer is withdrawn.");
  await load();
}

offerForm.addEventListener("submit", async (e) => {
  e.preventDefault();
  const rate = offerForm.hourly_rate.value.trim().replace(/^£/, "");
  const body = {
    hourly_rate: rate === "" || isNaN(Number(rate)) ? rate : Number(rate),
    start_date: dateValue(new FormData(offerForm), "start_date"),
    can_meet_needs: offerForm.can_meet_needs.checked,
  };
  if (offerForm.note.value.trim()) body.note = offerForm.note.value.trim();
  const local = {};
  if (rate === "") local.hourly_rate = "Enter your hourly rate";
  if (body.start_date === "") local.start_date = "Enter the date you can start";
  else if (body.start_date === null) local.start_date = "The start date must include a day, month and year";
  if (!body.can_meet_needs) local.can_meet_needs = "Confirm that you can meet these needs";
  if (Object.keys(local).length) { showErrors(offerForm, { fields: local }); return; }
  const result = await api("POST", `/api/packages/${encodeURIComponent(id)}/offers`, body);
  if (!result.ok) { showErrors(offerForm, result.error); return; }
  clearErrors(offerForm);
  announce("Your offer is sent. You will hear the outcome as soon as the council decides.");
  await load();
  document.getElementById("my-offers-title").focus?.();
});

declineForm.addEventListener("submit", async (e) => {
  e.preventDefault();
  const reason = declineForm.reason.value.trim();
  if (!reason) { showErrors(declineForm, { fields: { reason: "Enter a reason for declining" } }); return; }
  const result = await api("POST", `/api/packages/${encodeURIComponent(id)}/decline`, { reason });
  if (!result.ok) { showErrors(declineForm, result.error); return; }
  clearErrors(declineForm);
  document.getElementById("respond").replaceChildren(el("div", { class: "govuk-inset-text", text: "You declined this package. That never lowers your place in the list." }));
  announce("You declined this package.");
});

handBackForm.addEventListener("submit", async (e) => {
  e.preventDefault();
  const reason = handBackForm.reason.value.trim();
  if (!reason) { showErrors(handBackForm, { fields: { reason: "Enter a reason for handing the package back" } }); return; }
  const result = await api("POST", `/api/packages/${encodeURIComponent(id)}/hand-back`, { reason });
  if (!result.ok) { showErrors(handBackForm, result.error); return; }
  clearErrors(handBackForm);
  handedBack = true;
  document.getElementById("hand-back").replaceChildren(el("div", { class: "govuk-inset-text", text: "You handed this package back. It has been posted again, with your reason, to other providers." }));
  announce("You handed this package back.");
  await load();
});

const feed = new LiveFeed({
  statusEl: null,
  onEvent: (msg) => {
    const d = msg.data || {};
    if (d.package_id === id || (d.package && d.package.id === id)) {
      if (msg.type === "offer.accepted") announce("Your offer was accepted.");
      if (msg.type === "offer.declined") announce("Your offer was not chosen.");
      if (msg.type === "package.closed") announce("This package has closed.");
      load();
    }
  },
});
feed.start();
load();
setInterval(() => {
  for (const t of document.querySelectorAll("time[data-deadline]")) t.textContent = countdown(t.dataset.deadline);
}, 1000);
