// Users named in events (who offered, declined, asked, answered, awarded; whom a message
// went to), by the name the service knows them by, never by id. Asked for in batches, and
// again when a new id appears, so live events are named as well as remembered ones.
import { api } from "./api.js";
import { knowProviders } from "./providers.js";

const names = new Map();
const providers = new Map(); // user id -> the provider the user works for (provider users only)
const unknown = new Set(); // asked for and not a user (e.g. "system"): not asked again

export async function knowUsers(ids) {
  const missing = [...new Set(ids)].filter((id) => id && id !== "system" && !names.has(id) && !unknown.has(id));
  for (let start = 0; start < missing.length; start += 50) {
    const chunk = missing.slice(start, start + 50);
    const result = await api("GET", `/api/users/names?ids=${encodeURIComponent(chunk.join(","))}`);
    if (!result.ok) return;
    for (const id of chunk) {
      if (result.data.names[id]) names.set(id, result.data.names[id]);
      else unknown.add(id);
      if ((result.data.providers || {})[id]) providers.set(id, result.data.providers[id]);
    }
  }
}

export function userName(id) {
  return names.get(id) || null;
}

// The provider a user works for (null for a broker, or a user not known).
export function userProvider(id) {
  return providers.get(id) || null;
}

// The users an event names: its actor, the user a message went to, the offer's author.
export function usersIn(msg) {
  const d = msg.data || {};
  return [msg.actor, d.user_id, d.offer && d.offer.submitted_by].filter(Boolean);
}

// The providers an event names (a message's user's provider once knowUsers has named the user).
export function providersIn(msg) {
  const d = msg.data || {};
  return [d.provider_id, d.offer && d.offer.provider_id, ...(d.provider_ids || []), userProvider(d.user_id)].filter(Boolean);
}

// Names for everything the events name: users first, then providers (theirs included).
export async function knowPeople(msgs) {
  await knowUsers(msgs.flatMap(usersIn));
  await knowProviders(msgs.flatMap(providersIn));
}
