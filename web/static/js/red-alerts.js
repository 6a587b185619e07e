// An optional sound and desktop notification for new red packages, chosen per device:
// off by default, remembered in localStorage, and the browser's permission is only ever
// asked for from the person's own click on the checkbox.
const KEY = "hb.red-alerts";
let audio = null;

function stored() {
  try { return localStorage.getItem(KEY) === "on"; } catch (err) { return false; }
}

function remember(on) {
  try { if (on) localStorage.setItem(KEY, "on"); else localStorage.removeItem(KEY); } catch (err) { /* private mode: this visit only */ }
}

function showState(on) {
  const el = document.getElementById("red-alert-state");
  if (el) el.textContent = on ? "on" : "off";
}

function hint(text) {
  const el = document.getElementById("red-alert-hint");
  if (el) el.textContent = text;
}

const HINT = "On this device only, while this page is open. Your browser will ask once whether to allow notifications.";

function explain() {
  if (!("Notification" in window)) hint("This browser cannot show desktop notifications: only the sound will play.");
  else if (Notification.permission === "denied") hint("Your browser blocks notifications from this site: only the sound will play. You can allow them in the browser's site settings.");
  else hint(HINT);
}

export function setUpRedAlerts() {
  const box = document.getElementById("red-alert");
  const wrap = document.getElementById("red-alerts");
  if (!box || !wrap) return;
  wrap.hidden = false;  // only offered where the script runs
  box.checked = stored();
  showState(box.checked);
  if (box.checked) explain();
  box.addEventListener("change", async () => {
    remember(box.checked);
    showState(box.checked);
    if (!box.checked) { hint(HINT); return; }
    // A click: the one moment a browser lets a page start sound and ask for permission.
    unlockSound();
    if ("Notification" in window && Notification.permission === "default") {
      try { await Notification.requestPermission(); } catch (err) { /* old callback-only API: sound only */ }
    }
    explain();
  });
}

function unlockSound() {
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return;
  if (!audio) audio = new Ctx();
  if (audio.state === "suspended") audio.resume().catch(() => {});
}

function beep() {
  unlockSound();
  if (!audio || audio.state !== "running") return;  // the browser wants a click on this page first
  const now = audio.currentTime;
  for (const [start, freq] of [[0, 880], [0.25, 660]]) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, now + start);
    gain.gain.exponentialRampToValueAtTime(0.3, now + start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + start + 0.2);
    osc.connect(gain).connect(audio.destination);
    osc.start(now + start);
    osc.stop(now + start + 0.22);
  }
}

// Called for each red package that arrives while the board is open.
export function alertRed(id, where) {
  if (!stored()) return;
  beep();
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  const url = `/provider/packages/${encodeURIComponent(id)}`;
  try {
    const n = new Notification("New red package: respond within 1 hour", { body: where, tag: `red-${id}` });
    n.onclick = () => { window.focus(); location.assign(url); n.close(); };
  } catch (err) { /* some mobile browsers only notify through the service worker: the sound played */ }
}
