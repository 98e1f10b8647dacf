// Notifications: what calls the agent back to the console. Three things count — a
// conversation that became mine (conversation.created / conversation.assigned), a customer's
// message in one of mine (message.created, inbound), and a "cdmx:notify" CustomEvent other
// parts dispatch ({kind, conversationId, title, body}, e.g. a mention). Each one the agent
// is not already looking at (that conversation open, tab visible) raises the tab title's
// "(N)" count, plays a short chime (unless turned off in the user menu) and, while the tab is
// hidden, shows a browser notification whose click opens the conversation. The count of a
// conversation clears when it is opened with the tab visible, or when the tab comes back to
// it. Self-starting: main.js only imports it.
import { t } from "./i18n.js";
import { contactLabel } from "./inbox.js";
import { isMine, on, state } from "./store.js";

const SOUND_KEY = "cdmx.console.sound";
const SOUND_URL = "/static/console/sounds/chime.wav";
// A new conversation routed to me arrives as its assignment and its first message at once:
// one notice, not two.
const MERGE_MS = 3000;
// A burst of events makes one chime.
const CHIME_GAP_MS = 1000;

const baseTitle = document.title;
const unseen = new Map(); // conversation id → notices not yet seen
const assignees = new Map(); // conversation id → its assignee when last seen here
const assignedAt = new Map(); // conversation id → when its assignment notice was made
const soundSwitch = document.getElementById("notify-sound");
const permissionButton = document.getElementById("notify-permission");
const permissionStatus = document.getElementById("notify-permission-status");

let audio = null;
let lastChime = 0;

const visible = () => document.visibilityState === "visible";
const looking = (id) => visible() && id != null && state.openId === id;

export function soundOn() {
  return localStorage.getItem(SOUND_KEY) !== "off";
}

function renderTitle() {
  let count = 0;
  for (const n of unseen.values()) count += n;
  document.title = count ? `(${count}) ${baseTitle}` : baseTitle;
}

function seen(id) {
  if (id != null && unseen.delete(id)) renderTitle();
}

function chime() {
  const now = Date.now();
  if (!soundOn() || now - lastChime < CHIME_GAP_MS) return;
  lastChime = now;
  audio ||= new Audio(SOUND_URL);
  audio.currentTime = 0;
  // The browser refuses sound before the page's first click: nothing to tell the agent.
  audio.play()?.catch(() => {});
}

function browserNotice(id, title, body) {
  if (visible() || !("Notification" in window) || Notification.permission !== "granted") return;
  // One notice per conversation: a newer one replaces the older in the system's list.
  const notice = new Notification(title, { body, tag: `cdmx-c${id ?? "other"}` });
  notice.onclick = () => {
    window.focus();
    notice.close();
    if (id != null) window.location.hash = `#c${id}`; // main.js opens it
  };
}

// One notice. merge: update the last one of this conversation instead of adding another.
function announce({ conversationId: id = null, title = "", body = "" }, { merge = false } = {}) {
  if (looking(id)) return;
  if (!merge) {
    unseen.set(id, (unseen.get(id) || 0) + 1);
    renderTitle();
    chime();
  }
  browserNotice(id, title, body);
}

function nameOf(conversation) {
  return contactLabel(conversation?.contact || {});
}

function onAssigned(conversation, before) {
  const me = state.user.id;
  if (conversation.assignee_id !== me || before === me || conversation.status !== "assigned") {
    return;
  }
  assignedAt.set(conversation.id, Date.now());
  announce({
    conversationId: conversation.id,
    title: t("notify_assigned", { name: nameOf(conversation) }),
    body: conversation.last_message?.summary || "",
  });
}

function onMessage(message, conversation) {
  if (!message || message.direction !== "inbound") return;
  const id = message.conversation_id;
  const current = conversation || state.conversations.get(id);
  if (!current || !isMine(current)) return;
  const merge = Date.now() - (assignedAt.get(id) || 0) < MERGE_MS;
  assignedAt.delete(id);
  announce(
    {
      conversationId: id,
      title: t("notify_message", { name: nameOf(current) }),
      body: message.summary || message.text || "",
    },
    { merge },
  );
}

function onStreamEvent({ detail: { type, data } }) {
  const conversation = data?.conversation;
  // main.js has stored this snapshot already: what it was before is in assignees.
  const before = conversation ? assignees.get(conversation.id) : undefined;
  if (conversation) assignees.set(conversation.id, conversation.assignee_id ?? null);
  if (type === "conversation.created" || type === "conversation.assigned") {
    if (conversation) onAssigned(conversation, before);
  } else if (type === "message.created") {
    onMessage(data.message, conversation);
  }
}

// What the REST loads brought: the assignees as they are now. Taken after the current task,
// so an event's handler above still reads the assignee from before the event.
function snapshotAssignees() {
  for (const [id, conversation] of state.conversations) {
    assignees.set(id, conversation.assignee_id ?? null);
  }
}

function renderSound() {
  soundSwitch?.setAttribute("aria-checked", String(soundOn()));
}

function renderPermission() {
  if (!permissionButton) return;
  const supported = "Notification" in window;
  const permission = supported ? Notification.permission : "unsupported";
  permissionButton.hidden = permission !== "default";
  permissionStatus.textContent =
    permission === "granted" ? t("notify_enabled") : permission === "denied" ? t("notify_denied") : "";
  permissionStatus.hidden = permissionStatus.textContent === "";
}

function setup() {
  document.addEventListener("cdmx:event", onStreamEvent);
  document.addEventListener("cdmx:notify", (event) => announce(event.detail || {}));
  document.addEventListener("cdmx:open", (event) => {
    if (visible()) seen(event.detail?.id ?? null);
  });
  document.addEventListener("visibilitychange", () => {
    if (visible()) seen(state.openId);
  });
  on("conversations", () => queueMicrotask(snapshotAssignees));

  renderSound();
  soundSwitch?.addEventListener("click", () => {
    localStorage.setItem(SOUND_KEY, soundOn() ? "off" : "on");
    renderSound();
  });
  renderPermission();
  // Asked only from this button: a prompt on page load is one the agent learns to refuse.
  permissionButton?.addEventListener("click", async () => {
    try {
      await Notification.requestPermission();
    } finally {
      renderPermission();
    }
  });
}

setup();
