// The /ws feed: the session cookie authenticates; after a dropped connection it resumes
// with ?after=<last event id> so nothing is missed or repeated. The server sends a heartbeat
// every 3 s of silence (?heartbeat=1): 7 s without any message, or the browser's offline
// event, means the connection is lost, whatever the socket itself claims.
const SILENCE_MS = 7000;
export class LiveFeed {
  constructor({ onEvent, onResync, statusEl, storageKey }) {
    this.onEvent = onEvent;
    this.onResync = onResync || (() => {});
    this.statusEl = statusEl;
    this.storageKey = storageKey;
    this.lastId = null;
    this.delay = 1000;
    this.socket = null;
    this.pending = [];
    this.lastHeard = Date.now();
    this.missed = 0;
    this.wasLost = false;  // a page that resumes from its first load was never offline
  }

  start() {
    // Signing out revokes the token, which closes this socket with 4401 before the sign-out
    // response arrives: that close must not send the person to the sign-in page first.
    document.addEventListener("submit", (e) => {
      if (e.target instanceof HTMLFormElement && new URL(e.target.action, location.href).pathname === "/logout") this.leaving = true;
    }, true);
    window.addEventListener("pagehide", () => { this.leaving = true; });
    if (navigator.onLine === false) this.lost();  // opened from the app's cache with no network
    else this.connect();
    window.addEventListener("online", () => { if (!this.socket || this.socket.readyState > 1) this.connect(); });
    window.addEventListener("offline", () => this.lost());
    setInterval(() => {
      // Only a server that has shown it sends heartbeats (the web process's /ws) is judged by silence.
      if (this.socket && this.socket.readyState === 1 && this.beating && Date.now() - this.lastHeard > SILENCE_MS) this.lost();
    }, 500);
  }

  lost() {
    const socket = this.socket;
    if (this.leaving) return;
    this.socket = null;  // its close event, whenever the browser gets round to it, is stale
    if (socket) { try { socket.close(); } catch (err) { /* already closing */ } }
    this.wasLost = true;
    this.status("offline", "Connection lost – reconnecting… Anything that arrives meanwhile will appear when it is back.");
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), this.delay);
    this.delay = Math.min(this.delay * 2, 30000);
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${location.host}/ws?heartbeat=1` + (this.lastId ? `&after=${encodeURIComponent(this.lastId)}` : "");
  }

  status(state, text) {
    if (!this.statusEl) return;
    this.statusEl.dataset.state = state;
    this.statusEl.textContent = text;
  }

  // "Connected", not "Live": on a package page "Live" is also the package's status.
  static CONNECTED = "Connected: this page updates automatically.";

  connect() {
    clearTimeout(this.timer);
    const resuming = this.lastId !== null;
    const socket = new WebSocket(this.url());
    this.socket = socket;
    this.missed = 0;
    this.catchingUp = resuming;
    socket.addEventListener("open", () => {
      this.delay = 1000;
      this.lastHeard = Date.now();
      if (!resuming) this.status("live", this.constructor.CONNECTED);
      for (const msg of this.pending.splice(0)) socket.send(JSON.stringify(msg));
      if (!resuming && this.everConnected) this.onResync();  // nothing seen yet: reload the state
      this.everConnected = true;
    });
    socket.addEventListener("message", (e) => {
      if (this.socket !== socket) return;
      this.lastHeard = Date.now();
      let msg;
      try { msg = JSON.parse(e.data); } catch (err) { return; }
      if (msg.type === "resync") { this.onResync(); return; }
      if (msg.type === "caught_up" || msg.type === "heartbeat") this.beating = true;
      if (msg.type === "caught_up") {
        // A page that has seen no event yet resumes from where the stream stood when it connected.
        if (!this.lastId && msg.data && msg.data.last_id) this.lastId = msg.data.last_id;
        this.caughtUp();
        return;
      }
      if (msg.type === "pong" || msg.type === "error" || msg.type === "heartbeat") return;
      if (msg.id) this.lastId = msg.id;
      if (this.catchingUp && msg.type === "package.matched") this.missed += 1;
      this.onEvent(msg);
    });
    socket.addEventListener("close", (e) => {
      if (this.socket !== socket || this.leaving) return;
      if (e.code === 4401) { location.assign("/login?next=" + encodeURIComponent(location.pathname)); return; }
      this.lost();
    });
  }

  caughtUp() {
    const wasCatchingUp = this.catchingUp;
    this.catchingUp = false;
    if (!wasCatchingUp || !this.wasLost) { this.status("live", this.constructor.CONNECTED); return; }
    this.wasLost = false;
    const n = this.missed;
    const what = n === 0 ? "No new packages arrived" : `${n} new package${n === 1 ? "" : "s"} arrived`;
    this.status("live", `Back online. ${what} while the connection was lost. ${this.constructor.CONNECTED}`);
  }

  send(msg) {
    if (this.socket && this.socket.readyState === 1) this.socket.send(JSON.stringify(msg));
    else this.pending.push(msg);
  }
}
