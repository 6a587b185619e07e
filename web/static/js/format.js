// Words for what the API returns: urgency as words and colour, times, visits, enums.
export const URGENCY = {
  red: { name: "Red", words: "Respond within 1 hour", tag: "govuk-tag--red", rank: 0 },
  amber: { name: "Amber", words: "Respond within 24 hours", tag: "govuk-tag--orange", rank: 1 },
  green: { name: "Green", words: "Respond within 48 hours", tag: "govuk-tag--green", rank: 2 },
};
const BANDS = { morning: "morning (07:00–10:00)", lunch: "lunch (11:30–14:00)", tea: "tea (16:00–18:30)", bed: "bed (19:00–22:00)", night: "night (22:00–07:00)" };
const DAYS = { mon: "Mon", tue: "Tue", wed: "Wed", thu: "Thu", fri: "Fri", sat: "Sat", sun: "Sun" };
const SPECIAL = { peg_feeding: "PEG feeding", catheter_stoma: "Catheter or stoma", diabetes_insulin: "Diabetes (insulin)", homecare: "Home care", live_in: "Live-in" };

export function words(code) {
  if (code === null || code === undefined) return "";
  return SPECIAL[code] || String(code).replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
}

export function money(value) {
  return "£" + Number(value).toFixed(2);
}

export function when(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return d.toLocaleString("en-GB", { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
}

export function day(iso) {
  if (!iso) return "";
  return new Date(iso + "T12:00:00Z").toLocaleDateString("en-GB", { weekday: "short", day: "numeric", month: "short", year: "numeric" });
}

export function countdown(deadline, now = Date.now()) {
  const left = Math.round((new Date(deadline).getTime() - now) / 1000);
  if (left <= 0) return "Deadline passed";
  const h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
  if (h >= 24) return `${Math.floor(h / 24)} d ${h % 24} h left`;
  if (h >= 1) return `${h} h ${m} min left`;
  if (m >= 5) return `${m} min left`;
  return `${m} min ${s} s left`;
}

export function visit(v) {
  const days = (v.days || []).map((d) => DAYS[d] || d).join(", ");
  const carers = v.carers === 2 ? "2 carers" : "1 carer";
  return `${days}: ${BANDS[v.band] || v.band}, ${v.minutes} min, ${carers}${v.time_critical ? ", time critical" : ""}`;
}

export function place(p) {
  const where = p.sector || p.district || "";
  const distance = p.distance_km === null || p.distance_km === undefined ? "" : ` · ${Number(p.distance_km).toFixed(1)} km away`;
  return where + (p.area ? ` (${p.area})` : "") + distance;
}

const BAND_NAMES = { morning: "morning", lunch: "lunch", tea: "tea", bed: "bed", night: "night" };
const DAY_ORDER = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

// "Mon–Fri", "Mon, Wed": runs of three or more consecutive days as a range.
export function dayRange(days) {
  const idx = (days || []).map((d) => DAY_ORDER.indexOf(d)).filter((i) => i >= 0).sort((a, b) => a - b);
  const out = [];
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && idx[j + 1] === idx[j] + 1) j++;
    const first = DAYS[DAY_ORDER[idx[i]]], last = DAYS[DAY_ORDER[idx[j]]];
    if (j - i >= 2) out.push(`${first}–${last}`);
    else for (let k = i; k <= j; k++) out.push(DAYS[DAY_ORDER[idx[k]]]);
    i = j + 1;
  }
  return out.join(", ");
}

// Round fit in words: "1.2 km (about 3 min drive) from your Mon–Fri morning round".
export function roundFit(f) {
  if (!f) return null;
  const what = f.source === "availability" ? "availability" : "round";
  const minutes = f.drive_minutes < 1 ? "under a minute's drive" : `about ${f.drive_minutes} min drive`;
  return `${Number(f.km).toFixed(1)} km (${minutes}) from your ${dayRange(f.days)} ${BAND_NAMES[f.band] || f.band} ${what}`;
}
