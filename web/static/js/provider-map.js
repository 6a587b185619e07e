// The provider's map: live packages at their sector centres (never finer), its own clients,
// its coverage. No tile layer, so nothing is fetched from elsewhere; the tables carry the
// same information and work if the map cannot be drawn.
import { api } from "./api.js";
import { el } from "./dom.js";
import { URGENCY, roundFit, visit, words } from "./format.js";

const COLOURS = { red: "#d4351c", amber: "#f47738", green: "#00703c" };
const CLIENT = "#1d70b8";

function fill(tableId, emptyId, bodyId, rows) {
  document.getElementById(emptyId).hidden = rows.length > 0;
  document.getElementById(tableId).hidden = rows.length === 0;
  document.getElementById(bodyId).replaceChildren(...rows);
}

function coverageText(c) {
  if (c.kind === "districts") return `Districts ${c.codes.join(", ")}`;
  if (c.kind === "radius") return `Within ${c.km} km of ${c.postcode}`;
  return "An area drawn on a map";
}

function renderTables(data, demand) {
  const packages = [...data.packages].sort((a, b) => URGENCY[a.urgency].rank - URGENCY[b.urgency].rank);
  fill("packages-table", "packages-empty", "packages-body", packages.map((p) => el("tr", { class: "govuk-table__row" },
    el("th", { scope: "row", class: "govuk-table__header" }, el("a", { class: "govuk-link", href: `/provider/packages/${encodeURIComponent(p.id)}`, text: p.sector })),
    el("td", { class: "govuk-table__cell" }, el("strong", { class: `govuk-tag ${URGENCY[p.urgency].tag}`, text: URGENCY[p.urgency].name })),
    el("td", { class: "govuk-table__cell", text: roundFit(p.round_fit) || "No current round in these times" }))));
  fill("clients-table", "clients-empty", "clients-body", data.clients.map((c) => el("tr", { class: "govuk-table__row" },
    el("th", { scope: "row", class: "govuk-table__header", text: c.postcode }),
    el("td", { class: "govuk-table__cell" }, el("ul", { class: "govuk-list govuk-!-margin-bottom-0" }, (c.visits || []).map((v) => el("li", { text: visit(v) })))))));
  document.getElementById("coverage-list").replaceChildren(...data.coverage.map((c) => el("li", { text: coverageText(c) })));
  fill("demand-table", "demand-empty", "demand-body", demand.map((r) => el("tr", { class: "govuk-table__row" },
    el("th", { scope: "row", class: "govuk-table__header", text: r.district }),
    el("td", { class: "govuk-table__cell", text: words(r.band) }),
    el("td", { class: "govuk-table__cell govuk-table__cell--numeric", text: String(r.unplaced) }),
    el("td", { class: "govuk-table__cell govuk-table__cell--numeric", text: String(r.placed) }),
    el("td", { class: "govuk-table__cell govuk-table__cell--numeric", text: r.median_hours_to_place === null ? "–" : String(r.median_hours_to_place) }))));
}

async function drawMap(data) {
  const L = window.L;
  const map = L.map("map", { zoomControl: true, attributionControl: false, keyboard: true });
  map.setView([51.9, -0.2], 10);
  const layers = [];
  for (const c of data.coverage) {
    if (c.kind === "districts") {
      for (const code of c.codes) {
        const shape = await api("GET", `/api/geo/districts/${encodeURIComponent(code)}`);
        if (shape.ok) layers.push(L.geoJSON(shape.data, { style: { color: "#505a5f", weight: 1, fillOpacity: 0.05, dashArray: "4 4" } }).addTo(map));
      }
    } else if (c.kind === "radius" && c.location) {
      layers.push(L.circle(c.location, { radius: c.km * 1000, color: "#505a5f", weight: 1, fillOpacity: 0.05, dashArray: "4 4" }).addTo(map));
    } else if (c.kind === "polygon" && c.geojson) {
      layers.push(L.geoJSON(c.geojson, { style: { color: "#505a5f", weight: 1, fillOpacity: 0.05, dashArray: "4 4" } }).addTo(map));
    }
  }
  for (const p of data.packages) {
    layers.push(L.circleMarker(p.sector_centre, { radius: 10, color: "#0b0c0c", weight: 2, fillColor: COLOURS[p.urgency], fillOpacity: 0.9 })
      .bindTooltip(`${p.sector}: ${URGENCY[p.urgency].name.toLowerCase()}`).addTo(map));
  }
  for (const c of data.clients) {
    layers.push(L.circleMarker(c.location, { radius: 6, color: "#0b0c0c", weight: 1, fillColor: CLIENT, fillOpacity: 1 })
      .bindTooltip(`Your client at ${c.postcode}`).addTo(map));
  }
  if (layers.length) map.fitBounds(L.featureGroup(layers).getBounds(), { padding: [20, 20] });
}

async function load() {
  const [result, demand] = await Promise.all([api("GET", "/api/provider/map"), api("GET", "/api/provider/demand")]);
  const data = result.ok ? result.data : { packages: [], clients: [], coverage: [] };
  renderTables(data, demand.ok ? demand.data.rows : []);
  const note = document.getElementById("map-note");
  if (typeof window.L === "undefined") { note.hidden = false; note.textContent = "The map could not be drawn; the tables below have the same information."; return; }
  try { await drawMap(data); } catch (err) { note.hidden = false; note.textContent = "The map could not be drawn; the tables below have the same information."; }
}

load();
