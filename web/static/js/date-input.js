// The GOV.UK date input for forms the pages build or read in JS: day, month and year in three
// fields named <name>-day, -month and -year, as the server-drawn forms (_date_input.html) have.
import { el } from "./dom.js";

let seq = 0;

// A form group (data-field=name, so API errors on `name` land on it) with the three fields.
export function dateInput(name, legend, hint = "For example, 27 3 2026") {
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
