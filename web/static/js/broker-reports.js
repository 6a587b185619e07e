// Unmet need on the map: the districts of the "Unmet need by district" table drawn as
// outlines (GET /api/geo/districts/{code}, no tile layer, nothing fetched from elsewhere),
// darker for more unplaced packages. Choosing a district in the table, its bar in the chart
// or its outline on the map highlights it on the map and in the table; the table's links
// also work without this script (the page reloads with the district highlighted).
import { api } from "./api.js";
import { declutter } from "./map-labels.js";

const mapEl = document.getElementById("unmet-map");
const status = document.getElementById("unmet-map-status");
const counts = JSON.parse(mapEl.dataset.districts || "{}");
const most = Math.max(1, ...Object.values(counts));
const layers = new Map();
let map = null;

function plural(n) {
  return `${n} unplaced package${n === 1 ? "" : "s"}`;
}

function style(code, selected) {
  const share = counts[code] / most;
  return selected === code
    ? { color: "#0b0c0c", weight: 5, fillColor: "#d4351c", fillOpacity: 0.25 + 0.6 * share }
    : { color: "#0b0c0c", weight: 1, fillColor: "#d4351c", fillOpacity: 0.15 + 0.6 * share };
}

function select(code, { moveFocus = false } = {}) {
  for (const link of document.querySelectorAll("#table-unmet-need a[data-district]")) {
    if (link.dataset.district === code) link.setAttribute("aria-current", "true");
    else link.removeAttribute("aria-current");
  }
  status.textContent = `${code} is highlighted: ${plural(counts[code])}.`;
  const url = new URL(location.href);
  url.searchParams.set("district", code);
  url.hash = "unmet-map";
  history.replaceState(null, "", url);
  if (map) {
    for (const [other, layer] of layers) layer.setStyle(style(other, code));
    // Every district stays in view, so the chosen one is seen among its neighbours.
    if (layers.has(code)) layers.get(code).bringToFront();
  }
  mapEl.scrollIntoView({ block: "center" });
  if (moveFocus) mapEl.focus({ preventScroll: true });
}

function wire() {
  for (const link of document.querySelectorAll("#table-unmet-need a[data-district]")) {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      select(link.dataset.district, { moveFocus: true });
    });
  }
  // The chart's bars and labels: a pointer shortcut (the chart is an image to assistive
  // technology; the table's links are the way in for keyboards and screen readers).
  for (const mark of document.querySelectorAll("#chart-unmet-need [data-key]")) {
    mark.style.cursor = "pointer";
    mark.addEventListener("click", () => select(mark.dataset.key));
  }
}

async function draw() {
  const note = document.getElementById("unmet-map-note");
  if (typeof window.L === "undefined") {
    note.hidden = false;
    note.textContent = "The map could not be drawn; the table above has every district.";
    return;
  }
  map = window.L.map(mapEl, { zoomControl: true, attributionControl: false, keyboard: true });
  map.setView([51.9, -0.2], 9);
  const selected = mapEl.dataset.selected || null;
  for (const code of Object.keys(counts)) {
    const shape = await api("GET", `/api/geo/districts/${encodeURIComponent(code)}`);
    if (!shape.ok) continue;
    const layer = window.L.geoJSON(shape.data, { style: style(code, selected) })
      .bindTooltip(`${code}: ${counts[code]}`, { permanent: true, direction: "center", className: "app-map-label" })
      .on("click", () => select(code));
    layer.addTo(map);
    layers.set(code, layer);
  }
  if (!layers.size) {
    note.hidden = false;
    note.textContent = "The districts could not be drawn; the table above has every one.";
    return;
  }
  map.fitBounds(window.L.featureGroup([...layers.values()]).getBounds(), { padding: [30, 30], maxZoom: 12 });
  if (selected && layers.has(selected)) layers.get(selected).bringToFront();
  declutter(map);
  mapEl.dataset.ready = "true";
}

wire();
draw().catch(() => {
  const note = document.getElementById("unmet-map-note");
  note.hidden = false;
  note.textContent = "The map could not be drawn; the table above has every district.";
});
