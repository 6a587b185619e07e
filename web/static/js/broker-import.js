// Bulk import: the chosen CSV file is sent as it is to POST /api/packages/import; the
// answer is either every problem by row and column (nothing posted) or the posted packages.
import { el } from "./dom.js";

const form = document.getElementById("import-form");
const fileInput = document.getElementById("file");
const fileError = document.getElementById("file-error");
const errorsBox = document.getElementById("import-errors");
const result = document.getElementById("import-result");
const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

function cellName(field) {
  const m = /^rows\[(\d+)\]\.(.+)$/.exec(field);
  return m ? { row: Number(m[1]), column: m[2] } : { row: null, column: field };
}

function showErrors(error) {
  const items = Object.entries(error.fields || {}).map(([field, problem]) => ({ ...cellName(field), problem }))
    .sort((a, b) => (a.row ?? 0) - (b.row ?? 0));
  errorsBox.replaceChildren(el("div", { class: "govuk-error-summary", "data-module": "govuk-error-summary" },
    el("div", { role: "alert" },
      el("h2", { class: "govuk-error-summary__title", text: "There is a problem: nothing was posted" }),
      el("div", { class: "govuk-error-summary__body" },
        el("p", { class: "govuk-body", text: error.message }),
        el("ul", { class: "govuk-list govuk-error-summary__list", id: "import-error-list" },
          items.map((i) => el("li", { "data-row": i.row ?? "", "data-column": i.column },
            el("a", { href: "#file" }, i.row ? `Row ${i.row}, ${i.column.replace(/_/g, " ")}: ${i.problem}` : `${i.column.replace(/_/g, " ")}: ${i.problem}`))))))));
  fileInput.closest(".govuk-form-group").classList.add("govuk-form-group--error");
  fileError.hidden = false;
  fileError.replaceChildren(el("span", { class: "govuk-visually-hidden", text: "Error:" }), ` The file has ${items.length} problem${items.length === 1 ? "" : "s"}; fix ${items.length === 1 ? "it" : "them"} and upload the file again.`);
  result.replaceChildren();
  errorsBox.focus();
}

function showPosted(data) {
  errorsBox.replaceChildren();
  fileInput.closest(".govuk-form-group").classList.remove("govuk-form-group--error");
  fileError.hidden = true;
  const unmatched = data.packages.filter((p) => p.matched === 0).length;
  result.replaceChildren(
    el("div", { class: "govuk-panel govuk-panel--confirmation" },
      el("h2", { class: "govuk-panel__title", id: "import-done", text: `${data.posted} package${data.posted === 1 ? "" : "s"} posted` })),
    unmatched ? el("div", { class: "govuk-warning-text" }, el("span", { class: "govuk-warning-text__icon", "aria-hidden": "true", text: "!" }),
      el("div", { class: "govuk-warning-text__text" }, el("span", { class: "govuk-visually-hidden", text: "Warning" }), `${unmatched} matched no provider: open them to see why.`)) : null,
    el("div", { class: "app-table-wrap", role: "region", "aria-labelledby": "import-report-caption", tabindex: "0" },
      el("table", { class: "govuk-table", id: "import-report" },
        el("caption", { class: "govuk-table__caption govuk-table__caption--s", id: "import-report-caption", text: "What was posted" }),
        el("thead", { class: "govuk-table__head" }, el("tr", { class: "govuk-table__row" },
          ["Row", "Reference", "Postcode", "Urgency", "Providers told"].map((h) => el("th", { scope: "col", class: "govuk-table__header", text: h })))),
        el("tbody", { class: "govuk-table__body" }, data.packages.map((p) => el("tr", { class: "govuk-table__row" },
          el("td", { class: "govuk-table__cell", text: String(p.row) }),
          el("td", { class: "govuk-table__cell" }, el("a", { class: "govuk-link", href: `/broker/packages/${encodeURIComponent(p.id)}`, text: p.reference || p.id })),
          el("td", { class: "govuk-table__cell", text: p.postcode }),
          el("td", { class: "govuk-table__cell", text: p.urgency }),
          el("td", { class: "govuk-table__cell", text: String(p.matched) }))))),
    ),
  );
  result.focus();
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = fileInput.files[0];
  if (!file) {
    showErrors({ message: "Choose a CSV file to upload.", fields: { file: "is required: choose a CSV file" } });
    return;
  }
  const button = document.getElementById("import-submit");
  button.disabled = true;
  try {
    const response = await fetch("/api/packages/import", {
      method: "POST", credentials: "same-origin", body: await file.text(),
      headers: { "Content-Type": "text/csv", Accept: "application/json", "X-CSRF-Token": csrf() },
    });
    const data = await response.json().catch(() => null);
    if (response.ok) showPosted(data);
    else showErrors((data && data.error) || { message: `Something went wrong (${response.status}).`, fields: {} });
  } catch (err) {
    showErrors({ message: "Could not reach the service. Check your connection and try again.", fields: {} });
  } finally {
    button.disabled = false;
  }
});
