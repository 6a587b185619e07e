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

// A provider added since the page loaded is named too: one fresh list when an id is new.
export async function knowProviders(ids) {
  await providerNames();
  if (ids.some((id) => id && !names.has(id))) {
    names = null;
    await providerNames();
  }
}

export function nameOf(id) {
  return (names && names.get(id)) || "a provider";
}
