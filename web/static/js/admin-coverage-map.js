// A provider's coverage on a Leaflet map (no tile layer): districts outlined, the polygon
// drawn, a radius as a circle around its postcode district's centre (approximate; the
// exact coverage is written out above the map).
import { api } from "./api.js";
import { declutter } from "./map-labels.js";

async function draw() {
  const box = document.getElementById("map");
  const note = document.getElementById("map-note");
  if (typeof window.L === "undefined") { note.hidden = false; note.textContent = "The map could not be drawn; the coverage is written out above."; return; }
  const coverage = JSON.parse(box.dataset.coverage || "[]");
  const map = window.L.map("map", { attributionControl: false, keyboard: true, zoomSnap: 0.25 });
  map.setView([51.9, -0.2], 9);
  const layers = [];
  const style = { color: "#1d70b8", weight: 2, fillOpacity: 0.25 };
  for (const c of coverage) {
    if (c.kind === "districts") {
      for (const d of c.codes.slice(0, 80)) {
        const s = await api("GET", `/api/geo/districts/${encodeURIComponent(d)}`);
        if (s.ok) layers.push(window.L.geoJSON(s.data, { style }).bindTooltip(d, { permanent: true, direction: "center", className: "app-map-label" }).addTo(map));
      }
    } else if (c.kind === "polygon") {
      layers.push(window.L.geoJSON(c.geojson, { style }).addTo(map));
    } else if (c.kind === "radius") {
      const s = await api("GET", `/api/geo/districts/${encodeURIComponent(c.postcode.split(" ")[0])}`);
      if (s.ok) {
        const centre = window.L.geoJSON(s.data).getBounds().getCenter();
        layers.push(window.L.circle(centre, { ...style, radius: c.km * 1000 }).addTo(map));
      }
    }
  }
  const tidy = declutter(map);
  if (layers.length) map.fitBounds(window.L.featureGroup(layers).getBounds(), { padding: [20, 20] });
  tidy();
}

draw().catch(() => {
  const note = document.getElementById("map-note");
  note.hidden = false;
  note.textContent = "The map could not be drawn; the coverage is written out above.";
});
