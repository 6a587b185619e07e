// Drawing a provider's coverage polygon on a Leaflet map with no tile layer (nothing is
// fetched from elsewhere): district outlines give bearings; corners come from clicks or,
// for keyboard users, from the map's centre. The GeoJSON lands in the #polygon textarea,
// which is what the form sends; an uploaded .geojson file fills the same textarea.
import { api } from "./api.js";
import { declutter } from "./map-labels.js";

const text = document.getElementById("polygon");
const count = document.getElementById("corner-count");
let corners = [];
let shape = null;
let map = null;

function write() {
  if (shape) { shape.remove(); shape = null; }
  if (corners.length && map) shape = window.L.polygon(corners, { color: "#1d70b8", weight: 3, fillOpacity: 0.2 }).addTo(map);
  count.textContent = corners.length ? `${corners.length} corner${corners.length === 1 ? "" : "s"} marked${corners.length < 3 ? ": mark at least 3" : ""}.` : "";
  if (corners.length >= 3) {
    const ring = corners.map(([lat, lng]) => [Number(lng.toFixed(6)), Number(lat.toFixed(6))]);
    ring.push(ring[0]);
    text.value = JSON.stringify({ type: "Polygon", coordinates: [ring] });
  } else if (corners.length) {
    text.value = "";
  }
}

function readText() {
  try {
    let g = JSON.parse(text.value);
    if (g.type === "FeatureCollection") g = g.features[0].geometry;
    if (g.type === "Feature") g = g.geometry;
    if (g.type === "Polygon") corners = g.coordinates[0].slice(0, -1).map(([lng, lat]) => [lat, lng]);
  } catch (err) { corners = []; }
}

async function backdrop() {
  const districts = new Set((document.getElementById("districts").value || "").toUpperCase().split(/[\s,;]+/).filter(Boolean));
  const areas = await api("GET", "/api/areas");
  if (areas.ok) for (const a of areas.data) for (const d of a.districts) districts.add(d);
  const layers = [];
  for (const d of [...districts].slice(0, 60)) {
    const s = await api("GET", `/api/geo/districts/${encodeURIComponent(d)}`);
    if (!s.ok) continue;
    layers.push(window.L.geoJSON(s.data, { style: { color: "#505a5f", weight: 1, fillOpacity: 0.05 }, interactive: false })
      .bindTooltip(d, { permanent: true, direction: "center", className: "app-map-label" }).addTo(map));
  }
  if (shape) map.fitBounds(shape.getBounds(), { padding: [20, 20] });
  else if (layers.length) map.fitBounds(window.L.featureGroup(layers).getBounds(), { padding: [10, 10] });
  declutter(map);
  document.getElementById("draw-map").dataset.ready = "1";
}

function start() {
  if (typeof window.L === "undefined") return;
  map = window.L.map("draw-map", { attributionControl: false, keyboard: true, doubleClickZoom: false });
  map.setView([51.9, -0.2], 10);
  map.on("click", (e) => { corners.push([e.latlng.lat, e.latlng.lng]); write(); });
  readText();
  write();
  backdrop();
}

document.getElementById("add-centre").addEventListener("click", () => {
  if (!map) return;
  const c = map.getCenter();
  corners.push([c.lat, c.lng]);
  write();
});
document.getElementById("undo-corner").addEventListener("click", () => { corners.pop(); write(); if (!corners.length) text.value = ""; });
document.getElementById("clear-shape").addEventListener("click", () => { corners = []; text.value = ""; write(); });
text.addEventListener("change", () => { readText(); write(); });
document.getElementById("geojson-file").addEventListener("change", async (e) => {
  const file = e.target.files[0];
  if (!file) return;
  text.value = await file.text();
  readText();
  if (corners.length) write();
  if (shape) map.fitBounds(shape.getBounds(), { padding: [20, 20] });
});
start();
