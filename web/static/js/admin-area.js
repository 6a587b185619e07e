// Preview an area's districts before saving: each typed code outlined (no tile layer, so
// nothing is fetched from elsewhere), and the codes that are not districts named in words.
import { api } from "./api.js";
import { declutter } from "./map-labels.js";

let map = null;
let tidy = null;
let layers = [];

async function preview() {
  const note = document.getElementById("map-note");
  if (typeof window.L === "undefined") { note.textContent = "The map could not be drawn."; return; }
  if (!map) { map = window.L.map("map", { attributionControl: false, keyboard: true, zoomSnap: 0.25 }); map.setView([51.9, -0.2], 9); tidy = declutter(map); }
  layers.forEach((l) => l.remove());
  layers = [];
  const codes = document.getElementById("districts").value.toUpperCase().split(/[\s,;]+/).filter(Boolean);
  const unknown = [];
  for (const code of codes.slice(0, 80)) {
    const s = await api("GET", `/api/geo/districts/${encodeURIComponent(code)}`);
    if (!s.ok) { unknown.push(code); continue; }
    layers.push(window.L.geoJSON(s.data, { style: { color: "#1d70b8", weight: 2, fillOpacity: 0.25 } })
      .bindTooltip(code, { permanent: true, direction: "center", className: "app-map-label" }).addTo(map));
  }
  if (layers.length) map.fitBounds(window.L.featureGroup(layers).getBounds(), { padding: [20, 20] });
  tidy();
  // In words too: a label hidden to keep the others legible is still named here.
  const shown = codes.filter((c) => !unknown.includes(c)).slice(0, layers.length);
  note.textContent = `${layers.length} district${layers.length === 1 ? "" : "s"} shown.` + (layers.length ? ` On the map: ${shown.join(", ")}.` : "") +
    (unknown.length ? ` Not postcode districts: ${unknown.join(", ")}.` : "");
}

document.getElementById("preview").addEventListener("click", preview);
if (document.getElementById("districts").value.trim()) preview();
