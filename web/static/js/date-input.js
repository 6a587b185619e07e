// The GOV.UK date input for forms the pages build or read in JS: day, month and year in three
// fields named <name>-day, -month and -year, as the server-drawn forms (_date_input.html) have.
import { el } from "./dom.js";

let seq = 0;

// An example a week from today, as the fields take it (a fixed one had become a past date).
function exampleDate(days = 7) {
  const day = new Date(Date.now() + days * 86400000);
  return `${day.getDate()} ${day.getMonth() + 1} ${day.getFullYear()}`;
}

// A form group (data-field=name, so API errors on `name` land on it) with the three fields.
export function dateInput(name, legend, hint = `For example, ${exampleDate()}`) {
  const id = `${name}-${++seq}`;
  return el("div", { class: "govuk-form-group", "data-field": name },
    el("fieldset", { class: "govuk-fieldset", role: "group", "aria-describedby": `${id}-hint` },
      el("legend", { class: "govuk-fieldset__legend govuk-fieldset__legend--s", text: legend }),
      el("div", { class: "govuk-hint", id: `${id}-hint`, text: hint }),
      el("div", { class: "govuk-date-input", id },
        [["day", "Day", 2], ["month", "Month", 2], ["year", "Year", 4]].map(([part, label, width]) =>
          el("div", { class: "govuk-date-input__item" }, el("div", { class: "govuk-form-group" },
            el("label", { class: "govuk-label govuk-date-input__label", for: `${id}-${part}`, text: label }),
            el("input", { class: `govuk-input govuk-date-input__input govuk-input--width-${width}`, id: `${id}-${part}`,
                          name: `${name}-${part}`, type: "text", inputmode: "numeric" })))))));
}

// "YYYY-MM-DD" from the three fields of a FormData (or anything with get), "" when all are
// empty, null when only some are filled. What is not a real date the API refuses, by field.
export function dateValue(data, name) {
  const part = (p) => String(data.get(`${name}-${p}`) || "").trim();
  const [d, m, y] = [part("day"), part("month"), part("year")];
  if (!d && !m && !y) return "";
  if (!d || !m || !y) return null;
  return `${y}-${m.padStart(2, "0")}-${d.padStart(2, "0")}`;
}

// The parts of a partly filled date that are empty ("day", "month", "year"), for the message
// and for highlighting only those fields, as the GOV.UK pattern and the server's forms do.
export function missingParts(data, name) {
  return ["day", "month", "year"].filter((p) => !String(data.get(`${name}-${p}`) || "").trim());
}

// "The start date must include a year": names what is missing (web/pages/dates.py says the same).
export function missingMessage(what, parts) {
  return `${what} must include a ${parts.join(" and ")}`;
}

// After showErrors marked every field of the date: keep the mark on the empty ones only.
export function highlightMissing(form, name, parts) {
  for (const part of ["day", "month", "year"]) {
    const input = form.querySelector(`[name="${name}-${part}"]`);
    if (input && !parts.includes(part)) input.classList.remove("govuk-input--error");
  }
}
