// "Turn on notifications on this device": asks the browser's permission, subscribes with the
// service's VAPID key and registers the subscription (POST /api/me/push-subscriptions).
import { api } from "./api.js";

const state = document.getElementById("push-state");
const button = document.getElementById("push-on");

function say(text) { state.textContent = text; }

function key(base64url) {
  const raw = atob(base64url.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - base64url.length % 4) % 4));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

async function registration() {
  return navigator.serviceWorker.register("/sw.js").then(() => navigator.serviceWorker.ready);
}

async function turnOn() {
  button.disabled = true;
  try {
    const permission = await Notification.requestPermission();
    if (permission !== "granted") { say("Notifications are blocked for this site. Allow them in the browser's site settings, then try again."); return; }
    const reg = await registration();
    const found = await api("GET", "/api/push/public-key");
    if (!found.ok) { say(found.error.message); return; }
    const sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key(found.data.key) });
    const saved = await api("POST", "/api/me/push-subscriptions", sub.toJSON());
    if (!saved.ok) { say(saved.error.message); return; }
    say("This device will show a notification for each new package, as your settings below say.");
    button.hidden = true;
  } catch (err) {
    say("This browser could not turn on notifications. Email and text messages still reach you.");
  } finally {
    button.disabled = false;
  }
}

async function check() {
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    say("This browser cannot show notifications from this service. Email and text messages still reach you.");
    return;
  }
  try {
    const reg = await registration();
    const existing = await reg.pushManager.getSubscription();
    if (existing && Notification.permission === "granted") {
      await api("POST", "/api/me/push-subscriptions", existing.toJSON());  // the same device: same id
      say("This device shows a notification for each new package, as your settings below say.");
      return;
    }
  } catch (err) { /* fall through to offering the button */ }
  say("This device does not show notifications from this service yet.");
  button.hidden = false;
}

button.addEventListener("click", turnOn);
check();
