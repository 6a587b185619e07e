// Every page: mark JS as available (GOV.UK Frontend styles) and start its components.
import { initAll } from "/static/govuk/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
