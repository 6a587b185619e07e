// Live packages by district: Leaflet draws district outlines (GET /api/geo/districts/{code})
// with no tile layer at all, so nothing is fetched from elsewhere; the table below carries
// the same information and works even if the map cannot be drawn.
import { api } from "./api.js";
import { declutter } from "./map-labels.js";
import { el } from "./dom.js";
import { URGENCY } from "./format.js";

const COLOURS = { red: "#d4351c", amber: "#f47738", green: "#00703c" };

function byDistrict(packages) {
  const groups = new Map();
  for (const p of packages) {
    if (!groups.has(p.district)) groups.set(p.district, []);
    groups.get(p.district).push(p);
  }
  return [...groups.entries()].map(([district, items]) => {
    items.sort((a, b) => URGENCY[a.urgency].rank - URGENCY[b.urgency].rank);
    return { district, items, worst: items[0].urgency };
  }).sort((a, b) => URGENCY[a.worst].rank - URGENCY[b.worst].rank || b.items.length - a.items.length);
}

function renderTable(groups) {
  document.getElementById("districts-empty").hidden = groups.length > 0;
  document.getElementById("districts-table").hidden = groups.length === 0;
  document.getElementById("districts-body").replaceChildren(...groups.map((g) => el("tr", { class: "govuk-table__row" },
    el("th", { scope: "row", class: "govuk-table__header", text: g.district }),
    el("td", { class: "govuk-table__cell", text: String(g.items.length) }),
    el("td", { class: "govuk-table__cell" }, el("strong", { class: `govuk-tag ${URGENCY[g.worst].tag}`, text: `${URGENCY[g.worst].name}: ${URGENCY[g.worst].words}` })),
    el("td", { class: "govuk-table__cell" }, g.items.map((p, n) => [n ? ", " : "", el("a", { class: "govuk-link", href: `/broker/packages/${encodeURIComponent(p.id)}`, text: p.sector || p.postcode })])))));
}

async function drawMap(groups) {
  const note = document.getElementById("map-note");
  if (typeof window.L === "undefined") {
    note.hidden = false;
    note.textContent = "The map could not be drawn; the list below has every live package.";
    return;
  }
  const map = window.L.map("map", { zoomControl: true, attributionControl: false, keyboard: true });
  map.setView([51.9, -0.2], 9);
  const layers = [];
  for (const g of groups) {
    const shape = await api("GET", `/api/geo/districts/${encodeURIComponent(g.district)}`);
    if (!shape.ok) continue;
    const layer = window.L.geoJSON(shape.data, {
      style: { color: "#0b0c0c", weight: 1, fillColor: COLOURS[g.worst], fillOpacity: 0.55 },
    }).bindTooltip(`${g.district}: ${g.items.length} live (${URGENCY[g.worst].name.toLowerCase()})`, { permanent: true, direction: "center", className: "app-map-label" });
    layer.addTo(map);
    layers.push(layer);
  }
  if (layers.length) map.fitBounds(window.L.featureGroup(layers).getBounds(), { padding: [20, 20] });
  else { note.hidden = false; note.textContent = "No district has a live package."; }
  declutter(map);
}

async function load() {
  const result = await api("GET", "/api/packages?status=live");
  const groups = byDistrict(result.ok ? result.data : []);
  renderTable(groups);
  try { await drawMap(groups); } catch (err) {
    const note = document.getElementById("map-note");
    note.hidden = false;
    note.textContent = "The map could not be drawn; the list below has every live package.";
  }
}

load();
