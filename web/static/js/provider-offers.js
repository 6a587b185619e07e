// The provider's offers and their outcomes (GET /api/offers), refreshed when an outcome
// arrives over /ws.
import { api } from "./api.js";
import { announce, el, pageError } from "./dom.js";
import { URGENCY, day, money, when } from "./format.js";
import { LiveFeed } from "./live.js";

const OUTCOME = {
  submitted: ["Waiting for the council's decision", "govuk-tag--blue"],
  accepted: ["Accepted: the package is yours", "govuk-tag--green"],
  declined: ["Not chosen", "govuk-tag--red"],
  withdrawn: ["You withdrew it", "govuk-tag--grey"],
};

async function load() {
  const result = await api("GET", "/api/offers");
  if (!result.ok) { pageError(result.error.message); return; }
  const offers = result.data;
  document.getElementById("offers-empty").hidden = offers.length > 0;
  document.getElementById("offers-table").hidden = offers.length === 0;
  document.getElementById("offers-body").replaceChildren(...offers.map((o) => {
    const p = o.package;
    const u = URGENCY[p.urgency];
    const [text, tag] = OUTCOME[o.status] || [o.status, ""];
    return el("tr", { class: "govuk-table__row" },
      el("td", { class: "govuk-table__cell" },
        el("a", { class: "govuk-link", href: `/provider/packages/${encodeURIComponent(p.id)}`, text: p.sector || p.district }),
        el("br"), el("span", { class: "govuk-body-s", text: `${u.name} · ${p.hours_per_week} h/week · offered ${when(o.submitted_at)}` })),
      el("td", { class: "govuk-table__cell", text: money(o.hourly_rate) }),
      el("td", { class: "govuk-table__cell", text: day(o.start_date) }),
      el("td", { class: "govuk-table__cell" }, el("strong", { class: `govuk-tag ${tag}`, text })));
  }));
}

new LiveFeed({
  statusEl: document.getElementById("live-status"),
  onEvent: (msg) => {
    if (msg.type === "offer.accepted") announce("One of your offers was accepted.");
    if (msg.type === "offer.declined") announce("One of your offers was not chosen.");
    if (msg.type.startsWith("offer.")) load();
  },
  onResync: load,
}).start();
load();
