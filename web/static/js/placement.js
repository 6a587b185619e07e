// Before and after the award, on both package pages: questions and requests for more time
// while the package is open; the purchase order and variations once it is awarded.
// Everything goes through the public JSON API; the server decides who may see what.
import { api } from "./api.js";
import { announce, clearErrors, el, pageError, showErrors, summaryList } from "./dom.js";
import { dateInput, dateValue } from "./date-input.js";
import { day, money, visit, when } from "./format.js";

const root = document.getElementById("placement");
const id = root.dataset.packageId;
const broker = root.dataset.role === "broker";
// VARIATION_FLEX as a percentage ("0" when every change waits for the council).
const flexPct = Number(root.dataset.flexPct || "0");
const base = `/api/packages/${encodeURIComponent(id)}`;
let seq = 0;

function field(label, name, input, hint) {
  const inputId = `${name}-${++seq}`;
  input.id = inputId;
  input.name = name;
  const hintId = hint ? `${inputId}-hint` : null;
  if (hintId) input.setAttribute("aria-describedby", hintId);
  return el("div", { class: "govuk-form-group", "data-field": name },
    el("label", { class: "govuk-label", for: inputId, text: label }),
    hint ? el("div", { class: "govuk-hint", id: hintId, text: hint }) : null, input);
}

const textarea = () => el("textarea", { class: "govuk-textarea", rows: "3" });
const input = (type, cls, extra = {}) => el("input", { class: `govuk-input ${cls}`, type, ...extra });

// A form posting `body(form)` to `path`; on success announces `done` and reloads the sections.
// `check(data)`, if given, returns field errors found before asking the API (or null).
function form(formId, fields, button, path, body, done, buttonClass = "", check = null) {
  const node = el("form", { id: formId, novalidate: true }, fields, el("button", { type: "submit", class: `govuk-button ${buttonClass}`.trim(), "data-module": "govuk-button", text: button }));
  node.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(node);
    const local = check ? check(new FormData(node)) : null;
    if (local) { showErrors(node, { fields: local }); return; }
    const result = await api("POST", path, body(new FormData(node)));
    if (!result.ok) { showErrors(node, result.error); return; }
    announce(done);
    await render();
  });
  return node;
}

function questionsSection(questions, open) {
  const items = questions.map((q) => el("li", { class: "app-question" },
    el("p", { class: "govuk-body govuk-!-font-weight-bold", text: q.text }),
    el("p", { class: "govuk-body-s app-question__meta", text: `Asked ${when(q.asked_at)}${broker ? "" : q.mine ? " by your organisation" : ""}${q.published ? " · answer shared with every provider" : q.answer ? " · private answer" : ""}` }),
    q.answer ? el("p", { class: "govuk-body", text: `Answer: ${q.answer}` })
      : broker ? form(`answer-${q.id}`, [
        field("Your answer", "text", textarea(), "Write for providers: no name, address, postcode or council reference."),
        el("div", { class: "govuk-form-group" }, el("div", { class: "govuk-checkboxes govuk-checkboxes--small" },
          el("div", { class: "govuk-checkboxes__item" },
            el("input", { class: "govuk-checkboxes__input", type: "checkbox", id: `publish-${q.id}`, name: "publish", value: "yes" }),
            el("label", { class: "govuk-label govuk-checkboxes__label", for: `publish-${q.id}`, text: "Share the question and answer with every matched provider (the asker is not named)" })))),
      ], "Send answer", `${base}/questions/${encodeURIComponent(q.id)}/answer`,
      (f) => ({ text: f.get("text") || "", publish: f.get("publish") === "yes" }), "Answer sent.")
        : el("p", { class: "govuk-body-s", text: "Waiting for the council's answer." })));
  return el("section", { "aria-labelledby": "questions-title" },
    el("h2", { class: "govuk-heading-m", id: "questions-title", text: "Questions" }),
    items.length ? el("ol", { class: "govuk-list app-questions", id: "questions" }, items) : el("p", { class: "govuk-body", text: "No questions yet." }),
    !broker && open ? form("question-form", [field("Ask the council a question", "text", textarea(), "Only the council sees who asked. Answers shared with everyone never name you.")],
      "Ask question", `${base}/questions`, (f) => ({ text: f.get("text") || "" }), "Question sent to the council.", "govuk-button--secondary") : null);
}

function timeOutcome(r) {
  const why = r.decision_reason ? ` (${r.decision_reason})` : "";
  if (r.status === "requested") return "waiting for a decision";
  if (r.status === "granted") return `granted: the deadline is now ${when(r.granted_deadline)}${why}`;
  return `${r.status}${r.decision_reason ? `: ${r.decision_reason}` : ""}`;
}

function moreTimeSection(requests, pkg) {
  const open = pkg.status === "live";
  const rows = requests.map((r) => el("li", { class: "app-question" },
    el("p", { class: "govuk-body", text: `${r.reason}` }),
    el("p", { class: "govuk-body-s app-question__meta", text: `Asked ${when(r.requested_at)} · ${timeOutcome(r)}` }),
    broker && r.status === "requested" && open ? el("div", {},
      form(`extend-${r.id}`, [field("New deadline", "deadline", input("datetime-local", "govuk-input--width-20"), "Later than the current deadline; every matched provider is told."),
        field("Reason", "reason", textarea())], "Extend deadline", `${base}/deadline`,
      (f) => ({ deadline: f.get("deadline") ? new Date(f.get("deadline")).toISOString().replace(/\.\d+Z$/, "Z") : "", reason: f.get("reason") || "" }), "Deadline extended."),
      form(`refuse-${r.id}`, [field("Reason for refusing", "reason", textarea())], "Refuse more time",
        `${base}/more-time/${encodeURIComponent(r.id)}/refuse`, (f) => ({ reason: f.get("reason") || "" }), "Request refused.", "govuk-button--secondary")) : null));
  return el("section", { "aria-labelledby": "more-time-title" },
    el("h2", { class: "govuk-heading-m", id: "more-time-title", text: "More time" }),
    rows.length ? el("ol", { class: "govuk-list app-questions", id: "more-time" }, rows) : el("p", { class: "govuk-body", text: broker ? "No provider has asked for more time." : "You have not asked for more time." }),
    !broker && open ? form("more-time-form", [field("Why do you need more time?", "reason", textarea(), "For example: our coordinator is back on Monday. The council decides.")],
      "Ask for more time", `${base}/more-time`, (f) => ({ reason: f.get("reason") || "" }), "Request sent to the council.", "govuk-button--secondary") : null);
}

// An hours-only variation: the hours added (or taken) at the hourly rate, beside the visits.
function unscheduled(u) {
  const sign = u.hours > 0 ? "+" : "−";
  return `${sign}${Math.abs(u.hours)} hours at ${money(u.hourly_rate)} = ${sign}${money(Math.abs(u.weekly_cost))} a week`;
}

// The order starts when care does: say so when that is the provider's later start date, or
// when a change dated earlier applies from it.
function effectiveFrom(order) {
  if (!order.effective_from) return null;
  if (order.version === 1 && order.start_date && order.effective_from !== order.start_date) {
    return `${day(order.effective_from)} (the provider's start date; the package asked for ${day(order.start_date)})`;
  }
  if (order.proposed_from && order.proposed_from !== order.effective_from) {
    return `${day(order.effective_from)} (when care begins; the change was proposed from ${day(order.proposed_from)})`;
  }
  return day(order.effective_from);
}

const hoursText = (h) => `${h} hour${h === 1 ? "" : "s"}`;

function orderSection(order) {
  const href = `/purchase-orders/${encodeURIComponent(id)}`;
  const paidDiffers = typeof order.paid_hours === "number" && Math.abs(order.paid_hours - order.weekly_hours) >= 0.005;
  return el("section", { "aria-labelledby": "po-title" },
    el("h2", { class: "govuk-heading-m", id: "po-title", text: `Purchase order ${order.number}, version ${order.version}` }),
    summaryList([
      ["Issued", when(order.issued_at)],
      ["Hourly rate", money(order.hourly_rate)],
      ["Hours per week", String(order.weekly_hours)],
      ["Hours not in the visit pattern", order.unscheduled_hours ? unscheduled(order.unscheduled_hours) : null],
      ["Hours paid for", paidDiffers ? `${hoursText(order.paid_hours)} a week: visits are paid by call length (the printable purchase order shows how)` : null],
      ["Weekly cost", money(order.weekly_cost)],
      ["Effective from", effectiveFrom(order)],
    ]),
    el("p", { class: "govuk-body" }, el("a", { class: "govuk-link", href, text: "Printable purchase order" }), " · ",
      el("a", { class: "govuk-link", href: `${base}/purchase-order?format=csv`, download: "", text: "Download as CSV" })));
}

function variationsSection(variations) {
  const side = broker ? "broker" : "provider";
  const items = variations.map((v) => el("li", { class: "app-question" },
    el("p", { class: "govuk-body govuk-!-font-weight-bold", text: `${v.reason}` }),
    el("ul", { class: "govuk-list govuk-body-s" },
      v.hours_per_week !== null && v.hours_per_week !== undefined ? el("li", { text: `Hours per week: ${v.hours_per_week}` }) : null,
      (v.visits || []).map((x) => el("li", { text: visit(x) })),
      el("li", { text: `From ${day(v.effective_from)} · proposed by the ${v.proposed_by === "broker" ? "council" : "provider"} · ${v.auto ? "accepted within the flex" : v.status}` })),
    v.status === "proposed" && v.proposed_by !== side ? el("div", { class: "govuk-button-group" },
      el("button", { type: "button", class: "govuk-button", "data-module": "govuk-button", onclick: () => decide(v, "accept") }, "Accept change"),
      el("button", { type: "button", class: "govuk-button govuk-button--secondary", "data-module": "govuk-button", onclick: () => decide(v, "decline") }, "Decline change")) : null));
  return el("section", { "aria-labelledby": "variations-title" },
    el("h2", { class: "govuk-heading-m", id: "variations-title", text: "Changes to the care (variations)" }),
    items.length ? el("ol", { class: "govuk-list app-questions", id: "variations" }, items) : el("p", { class: "govuk-body", text: "No changes proposed." }),
    el("h3", { class: "govuk-heading-s", text: "Propose a change" }),
    form("variation-form", [
      field("New hours per week", "hours_per_week", input("text", "govuk-input--width-5", { inputmode: "decimal", spellcheck: "false" }),
        broker ? "The provider accepts or declines."
          : flexPct > 0 ? `A change within the council's flex (${flexPct} %) is accepted at once; the council is told.` : "The council accepts or declines."),
      dateInput("effective_from", "Effective from"),
      field("Reason", "reason", textarea()),
    ], "Propose change", `${base}/variations`, (f) => {
      const hours = (f.get("hours_per_week") || "").trim();
      return { reason: f.get("reason") || "", effective_from: dateValue(f, "effective_from"), hours_per_week: hours === "" ? undefined : (Number.isNaN(Number(hours)) ? hours : Number(hours)) };
    }, "Change proposed.", "govuk-button--secondary", (f) => {
      // Only what the three fields themselves can say; the API judges the rest, by field.
      const from = dateValue(f, "effective_from");
      if (from === "") return { effective_from: "Enter the date the change takes effect" };
      if (from === null) return { effective_from: "The date the change takes effect must include a day, month and year" };
      return null;
    }));
}

async function decide(v, verb) {
  const result = await api("POST", `${base}/variations/${encodeURIComponent(v.id)}/${verb}`, {});
  if (!result.ok) { pageError(result.error.message); return; }
  announce(verb === "accept" ? "Change accepted; a new purchase order version is issued." : "Change declined.");
  await render();
}

async function render() {
  const pkg = await api("GET", base);
  if (!pkg.ok) return;
  const p = pkg.data;
  const sections = [];
  // The purchase order is the council's and the winner's: a provider that lost is not asked.
  if (p.status === "awarded" && (broker || p.awarded_provider_id)) {
    const order = await api("GET", `${base}/purchase-order`);
    if (order.ok) sections.push(orderSection(order.data));
    const variations = await api("GET", `${base}/variations`);
    if (variations.ok) sections.push(variationsSection(variations.data));
  }
  const questions = await api("GET", `${base}/questions`);
  if (questions.ok && (p.status === "live" || p.status === "awaiting_award" || questions.data.length)) {
    sections.push(questionsSection(questions.data, p.status === "live" || p.status === "awaiting_award"));
  }
  const asks = await api("GET", `${base}/more-time`);
  if (asks.ok && (p.status === "live" || asks.data.length)) sections.push(moreTimeSection(asks.data, p));
  root.replaceChildren(...sections);
  root.removeAttribute("aria-busy");
}

render();
