// Provider names for the broker's pages (ids in events → names people know).
import { api } from "./api.js";

let names = null;
let asked = null;

export async function providerNames() {
  if (names) return names;
  if (!asked) asked = api("GET", "/api/providers").then((result) => {
    names = new Map(result.ok ? result.data.map((p) => [p.id, p.name]) : []);
    asked = null;
    return names;
  });
  return asked;
}

// A provider added since the page loaded is named too: one fresh list when an id is new
// (an id still unknown after that is not asked about again).
const unknown = new Set();
export async function knowProviders(ids) {
  await providerNames();
  const fresh = ids.filter((id) => id && !names.has(id) && !unknown.has(id));
  if (fresh.length) {
    names = null;
    await providerNames();
    for (const id of fresh) if (!names.has(id)) unknown.add(id);
  }
}

export function nameOf(id) {
  return (names && names.get(id)) || "a provider";
}
