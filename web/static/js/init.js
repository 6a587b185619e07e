// Every page: mark JS as available (GOV.UK Frontend styles) and start its components.
import { initAll } from "/static/govuk/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();

// The installable app's service worker: the shell and the last board work offline, and
// pushed packages show as notifications.
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js").catch(() => { /* not offered here: the page works without */ });
}
