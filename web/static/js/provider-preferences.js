// Notification preferences: channels per urgency, phone, quiet hours (PUT /api/me/preferences).
import { api } from "./api.js";
import { clearErrors, pageError, showErrors } from "./dom.js";

const form = document.getElementById("preferences-form");
const URGENCIES = ["red", "amber", "green"];
const PHONE_HELP = "Enter a UK mobile number like 07700 900123 or +44 7700 900123, or an international number starting with +";

// The API takes E.164 only (+447700900123); people type UK numbers in many forms
// (07700 900123, +44 7700 900123, 0044 7700 900123, (07700) 900-123): the same rules as
// accounts/phone.py's normalise_phone. Returns null when it is not a number we can text.
export function e164(text) {
  if (/[\u0000-\u001f\u007f]/.test(text)) return null;
  let compact = text.trim().replace(/[ \-().]/g, "");
  if (compact.startsWith("00")) compact = "+" + compact.slice(2);
  const ukNsn = /^[1-9][0-9]{8,9}$/;
  if (compact.startsWith("+44")) {
    let rest = compact.slice(3);
    if (rest.startsWith("0")) rest = rest.slice(1);
    return ukNsn.test(rest) ? "+44" + rest : null;
  }
  if (compact.startsWith("0")) {
    const rest = compact.slice(1);
    return ukNsn.test(rest) ? "+44" + rest : null;
  }
  return /^\+[1-9][0-9]{7,14}$/.test(compact) ? compact : null;
}

async function load() {
  const result = await api("GET", "/api/me");
  if (!result.ok) { pageError(result.error.message); return; }
  const prefs = result.data.preferences || {};
  for (const u of URGENCIES) {
    for (const box of form.querySelectorAll(`input[name="${u}"]`)) box.checked = (prefs.channels?.[u] || []).includes(box.value);
  }
  form.phone.value = prefs.phone || "";
  form.email.value = prefs.email || "";
  form.quiet_start.value = prefs.quiet_hours?.start || "";
  form.quiet_end.value = prefs.quiet_hours?.end || "";
}

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  document.getElementById("saved").hidden = true;
  const channels = {};
  for (const u of URGENCIES) channels[u] = [...form.querySelectorAll(`input[name="${u}"]:checked`)].map((i) => i.value);
  const typed = form.phone.value.trim();
  const phone = typed ? e164(typed) : null;
  if (typed && !phone) { showErrors(form, { fields: { phone: PHONE_HELP } }); return; }
  const body = { channels, phone };
  if (form.email.value.trim()) body.email = form.email.value.trim();
  const start = form.quiet_start.value.trim(), end = form.quiet_end.value.trim();
  if (start || end) body.quiet_hours = { start, end, tz: "Europe/London" };
  else body.quiet_hours = null;
  const result = await api("PUT", "/api/me/preferences", body);
  if (!result.ok) { showErrors(form, result.error); return; }
  clearErrors(form);
  const saved = document.getElementById("saved");
  saved.hidden = false;
  saved.focus();
});

load();
