// The /ws feed: the session cookie authenticates; after a dropped connection it resumes
// with ?after=<last event id> so nothing is missed or repeated.
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
  }

  start() {
    // Signing out revokes the token, which closes this socket with 4401 before the sign-out
    // response arrives: that close must not send the person to the sign-in page first.
    document.addEventListener("submit", (e) => {
      if (e.target instanceof HTMLFormElement && new URL(e.target.action, location.href).pathname === "/logout") this.leaving = true;
    }, true);
    window.addEventListener("pagehide", () => { this.leaving = true; });
    this.connect();
    window.addEventListener("online", () => { if (!this.socket || this.socket.readyState > 1) this.connect(); });
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${location.host}/ws` + (this.lastId ? `?after=${encodeURIComponent(this.lastId)}` : "");
  }

  status(state, text) {
    if (!this.statusEl) return;
    this.statusEl.dataset.state = state;
    this.statusEl.textContent = text;
  }

  connect() {
    clearTimeout(this.timer);
    const resuming = this.lastId !== null;
    const socket = new WebSocket(this.url());
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.delay = 1000;
      this.status("live", "Live: updates appear as they happen.");
      for (const msg of this.pending.splice(0)) socket.send(JSON.stringify(msg));
      if (!resuming && this.everConnected) this.onResync();  // nothing seen yet: reload the state
      this.everConnected = true;
    });
    socket.addEventListener("message", (e) => {
      let msg;
      try { msg = JSON.parse(e.data); } catch (err) { return; }
      if (msg.type === "resync") { this.onResync(); return; }
      if (msg.type === "pong" || msg.type === "error") return;
      if (msg.id) this.lastId = msg.id;
      this.onEvent(msg);
    });
    socket.addEventListener("close", (e) => {
      if (this.socket !== socket || this.leaving) return;
      if (e.code === 4401) { location.assign("/login?next=" + encodeURIComponent(location.pathname)); return; }
      this.status("offline", "Connection lost. Reconnecting… Anything that happens meanwhile will appear when it is back.");
      this.timer = setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, 30000);
    });
  }

  send(msg) {
    if (this.socket && this.socket.readyState === 1) this.socket.send(JSON.stringify(msg));
    else this.pending.push(msg);
  }
}
