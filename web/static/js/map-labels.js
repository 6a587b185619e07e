// District labels drawn on a Leaflet map (permanent tooltips, class app-map-label), kept
// legible on a phone: a label that would overlap one already shown is hidden at this zoom,
// and comes back when zooming in makes room. The labels are only a picture; every page that
// draws them also writes the same districts out as text, for keyboard and screen-reader
// users and for whatever a hidden label left out.
function overlaps(a, b) {
  return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
}

export function declutter(map) {
  const tidy = () => {
    const shown = [];
    for (const label of map.getContainer().querySelectorAll(".app-map-label")) {
      label.classList.remove("app-map-label--hidden");
      const box = label.getBoundingClientRect();
      if (shown.some((other) => overlaps(box, other))) label.classList.add("app-map-label--hidden");
      else shown.push(box);
    }
  };
  map.on("zoomend viewreset resize", tidy);
  tidy();
  return tidy;
}
