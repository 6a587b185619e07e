// The public JSON API, called with the session cookie and the CSRF token.
const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRF-Token"] = csrf();
  let response;
  try {
    response = await fetch(path, { method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    return { ok: false, status: 0, data: null, error: { code: "offline", message: "Could not reach the service. Check your connection and try again." } };
  }
  if (response.status === 401) {
    window.location.assign("/login?next=" + encodeURIComponent(location.pathname));
  }
  let data = null;
  if (response.status !== 204) {
    try { data = await response.json(); } catch (err) { data = null; }
  }
  return { ok: response.ok, status: response.status, data, error: response.ok ? null : (data && data.error) || { code: "http_" + response.status, message: "Something went wrong (" + response.status + ")." } };
}
