// Notification preferences: channels per urgency, phone, quiet hours (PUT /api/me/preferences).
import { api } from "./api.js";
import { clearErrors, pageError, showErrors } from "./dom.js";

const form = document.getElementById("preferences-form");
const URGENCIES = ["red", "amber", "green"];

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
  const body = { channels, phone: form.phone.value.trim() || null };
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
