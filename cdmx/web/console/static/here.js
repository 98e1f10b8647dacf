// Who else is here: tells the server I am viewing / typing in the open conversation
// (throttled) and shows, in its header, the colleagues who are, until their entry expires.
import { t } from "./i18n.js";
import { request } from "./api.js";
import { state } from "./store.js";

const VIEWING_EVERY_MS = 10000;
const TYPING_EVERY_MS = 3000;
const others = new Map(); // user id -> {name, state, expires}
let current = null;
let viewingTimer = null;
let lastTyping = 0;
let sweepTimer = null;

function send(id, activity) {
  if (!id) return;
  const path = `/api/v1/conversations/${id}/activity`;
  // "left" as the tab closes must outlive the page, or the others see us for 15 s more.
  const options = { keepalive: activity === "left" };
  request("POST", path, { state: activity }, options).catch(() => {});
}

function names(list) {
  if (list.length === 1) return list[0];
  return `${list.slice(0, -1).join(", ")} ${t("here_and")} ${list[list.length - 1]}`;
}

function render() {
  const slot = document.getElementById("conversation-here");
  if (!slot) return;
  const now = Date.now();
  for (const [uid, entry] of others) if (entry.expires <= now) others.delete(uid);
  const typing = [...others.values()].filter((e) => e.state === "typing").map((e) => e.name);
  const viewing = [...others.values()].filter((e) => e.state === "viewing").map((e) => e.name);
  const parts = [];
  if (typing.length) parts.push(t(typing.length === 1 ? "here_typing_one" : "here_typing_many", { names: names(typing) }));
  if (viewing.length) parts.push(t(viewing.length === 1 ? "here_viewing_one" : "here_viewing_many", { names: names(viewing) }));
  slot.textContent = parts.join(" · ");
}

function leave() {
  if (current) send(current, "left");
  clearInterval(viewingTimer);
  viewingTimer = null;
  others.clear();
  render();
}

function open(id) {
  if (id === current) return;
  leave();
  current = id;
  if (!id) return;
  send(id, "viewing");
  viewingTimer = setInterval(() => {
    if (document.visibilityState === "visible") send(current, "viewing");
  }, VIEWING_EVERY_MS);
}

function onActivity(data) {
  if (!data || !data.user || data.user.id === state.user.id) return;
  if (data.conversation_id !== current) return;
  const expires = Date.parse(data.expires_at);
  if (data.state === "left" || !(expires > Date.now())) {
    others.delete(data.user.id);
  } else {
    others.set(data.user.id, { name: data.user.name, state: data.state, expires });
  }
  render();
}

export function setupHere() {
  document.addEventListener("cdmx:open", (event) => open(event.detail ? event.detail.id : null));
  document.addEventListener("cdmx:event", (event) => {
    const { type, data } = event.detail || {};
    if (type === "conversation.activity") onActivity(data);
  });
  const composer = document.getElementById("composer");
  if (composer) {
    composer.addEventListener("keydown", () => {
      const now = Date.now();
      if (!current || now - lastTyping < TYPING_EVERY_MS) return;
      lastTyping = now;
      send(current, "typing");
    });
  }
  window.addEventListener("pagehide", leave);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && current) send(current, "viewing");
  });
  clearInterval(sweepTimer);
  sweepTimer = setInterval(render, 1000);
}
