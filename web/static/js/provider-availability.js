// Availability slots: add, list, remove (POST/GET/DELETE /api/availability). If the
// service does not offer them yet (404/405), say so instead of showing a broken form.
import { api } from "./api.js";
import { dateValue } from "./date-input.js";
import { announce, clearErrors, el, pageError, showErrors } from "./dom.js";
import { day, words } from "./format.js";

const form = document.getElementById("availability-form");

function unavailable() {
  document.getElementById("unavailable").hidden = false;
  document.getElementById("availability-ui").hidden = true;
}

function describe(slot) {
  const days = (slot.days || []).map(words).join(", ");
  const bands = (slot.bands || []).map(words).join(", ").toLowerCase();
  return `${(slot.districts || []).join(", ")}: ${days}, ${bands}, ${slot.carers === 2 ? "2 carers" : "1 carer"}${slot.valid_until ? ", until " + day(String(slot.valid_until).slice(0, 10)) : ""}`;
}

async function load() {
  const result = await api("GET", "/api/availability");
  if (result.status === 404 || result.status === 405) { unavailable(); return; }
  if (!result.ok) { pageError(result.error.message); return; }
  const slots = Array.isArray(result.data) ? result.data : (result.data.items || []);
  document.getElementById("slots-empty").hidden = slots.length > 0;
  document.getElementById("slots").replaceChildren(...slots.map((slot) => el("li", {},
    el("span", { text: describe(slot) }),
    el("button", { type: "button", class: "govuk-button govuk-button--warning", onclick: () => remove(slot) },
      "Remove", el("span", { class: "govuk-visually-hidden", text: ` availability for ${describe(slot)}` })))));
}

async function remove(slot) {
  const result = await api("DELETE", `/api/availability/${encodeURIComponent(slot.id)}`);
  if (!result.ok) { pageError(result.error.message); return; }
  announce("Availability removed.");
  await load();
}

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const checked = (name) => [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
  const body = {
    districts: form.districts.value.split(/[\s,]+/).map((d) => d.trim().toUpperCase()).filter(Boolean),
    days: checked("days"),
    bands: checked("bands"),
    carers: Number(checked("carers")[0] || 1),
    valid_until: dateValue(new FormData(form), "valid_until"),
  };
  if (body.valid_until === null) {
    showErrors(form, { fields: { valid_until: "The date must include a day, month and year" } });
    return;
  }
  const result = await api("POST", "/api/availability", body);
  if (result.status === 404 || result.status === 405) { unavailable(); return; }
  if (!result.ok) { showErrors(form, result.error); return; }
  clearErrors(form);
  form.reset();
  announce("Availability added. Packages that fit will come to you first.");
  await load();
});

load();
