// Provider names for the broker's pages (ids in events → names people know).
import { api } from "./api.js";

let names = null;

export async function providerNames() {
  if (names) return names;
  const result = await api("GET", "/api/providers");
  names = new Map(result.ok ? result.data.map((p) => [p.id, p.name]) : []);
  return names;
}

export function nameOf(id) {
  return (names && names.get(id)) || "a provider";
}
