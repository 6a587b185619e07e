// The service worker (served at /sw.js so its scope is the whole site).
// - Caches the shell (styles, scripts, icons) and the last board it loaded: with no network
//   the board opens as it last stood and says so (offline banner in live.js).
// - Shows pushed packages (payload: title, body, url, tag) and opens the package on a tap.
const CACHE = "hb-shell-v2";
const SHELL = [
  "/static/govuk/govuk-frontend.min.css", "/static/govuk/govuk-frontend.min.js", "/static/css/app.css",
  "/static/js/init.js", "/static/js/api.js", "/static/js/dom.js", "/static/js/format.js", "/static/js/live.js",
  "/static/js/provider-board.js", "/static/js/red-alerts.js", "/static/icons/icon-192.png", "/static/icons/icon.svg",
];
const PAGES = ["/provider"];  // kept from the network on every load, shown from here when offline

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== location.origin) return;
  if (request.mode === "navigate" && PAGES.includes(url.pathname)) {
    // Network first: the board is live data; the cached copy is only for when there is none.
    event.respondWith(fetch(request).then((response) => {
      if (response.ok && !response.redirected) {
        const copy = response.clone();
        caches.open(CACHE).then((cache) => cache.put(url.pathname, copy));
      }
      return response;
    }).catch(() => caches.match(url.pathname).then((cached) => cached || Response.error())));
    return;
  }
  if (url.pathname.startsWith("/static/")) {
    // Stale while revalidate: the shell opens at once, and is fresh next time.
    event.respondWith(caches.open(CACHE).then(async (cache) => {
      const cached = await cache.match(request);
      const fresh = fetch(request).then((response) => {
        if (response.ok) cache.put(request, response.clone());
        return response;
      }).catch(() => cached || Response.error());
      return cached || fresh;
    }));
  }
});

self.addEventListener("push", (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch (err) { data = {}; }
  const title = data.title || "Home care brokerage";
  event.waitUntil(self.registration.showNotification(title, {
    body: data.body || "", tag: data.tag || undefined, renotify: data.urgency === "red",
    requireInteraction: data.urgency === "red", icon: "/static/icons/icon-192.png",
    data: { url: data.url || "/provider" },
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL((event.notification.data && event.notification.data.url) || "/provider", location.origin).href;
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
    for (const w of windows) {
      if (w.url === target && "focus" in w) return w.focus();
    }
    return self.clients.openWindow(target);
  }));
});
