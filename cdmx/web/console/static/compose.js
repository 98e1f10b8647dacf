// The composer: Enter sends, Shift+Enter is a new line, disabled while empty or when the
// conversation cannot be answered (closed, not ours, or the 24-hour window is over).
// A message shows at once with its local_id and is reconciled by thread.js.
import { api } from "./api.js";
import { t } from "./i18n.js";
import { isMine, state } from "./store.js";
import { msUntil } from "./format.js";
import { onRetry, upsertMessage } from "./thread.js";

const form = document.getElementById("compose-form");
const textarea = document.getElementById("composer");
const button = document.getElementById("send-button");
const note = document.getElementById("composer-note");

const drafts = new Map();
let current = null;

// crypto.randomUUID only exists on https or localhost; a console on a closed network may
// be plain http, where getRandomValues still works.
function newLocalId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function blockedReason(conversation) {
  if (!conversation) return "";
  if (conversation.status === "closed") return t("composer_closed");
  if (conversation.status === "queued") return t("composer_take_first");
  if (!isMine(conversation)) return t("composer_not_assignee");
  if (msUntil(conversation.window_expires_at) <= 0) return t("composer_window_closed");
  return "";
}

function refreshButton() {
  button.disabled = textarea.disabled || textarea.value.trim() === "";
}

function autosize() {
  textarea.style.height = "auto";
  textarea.style.height = `${Math.min(textarea.scrollHeight, 168)}px`;
}

async function post(message) {
  try {
    const accepted = await api.post(`/api/v1/conversations/${message.conversation_id}/messages`, {
      type: "text",
      text: message.text,
      local_id: message.local_id,
    });
    if (accepted) upsertMessage(accepted);
  } catch (error) {
    // Only a send that may succeed later (no connection, a server error) offers a retry.
    const retry = !error.status || error.status >= 500;
    upsertMessage(
      { ...message, status: "failed", client_error: error.message, client_retry: retry },
      { force: true },
    );
  }
}

function send() {
  const text = textarea.value.trim();
  if (!current || textarea.disabled || !text) return;
  const message = {
    id: null,
    local_id: newLocalId(),
    conversation_id: current.id,
    direction: "outbound",
    type: "text",
    text,
    summary: text,
    status: "queued",
    wamid: null,
    created_at: new Date().toISOString(),
    author: { id: state.user.id, name: state.user.name },
    error: null,
    media: null,
  };
  textarea.value = "";
  drafts.delete(current.id);
  autosize();
  refreshButton();
  upsertMessage(message);
  post(message);
}

export function setupComposer() {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  });
  textarea.addEventListener("input", () => {
    if (current) drafts.set(current.id, textarea.value);
    autosize();
    refreshButton();
  });
  // Retrying reuses the local_id, so a send that did reach the server is not doubled.
  onRetry((message) => {
    const again = { ...message, status: "queued", client_error: null };
    upsertMessage(again, { force: true });
    post(again);
  });
}

export function setComposerConversation(conversation, { focus = false } = {}) {
  const switched = conversation?.id !== current?.id;
  current = conversation;
  if (switched) {
    textarea.value = (conversation && drafts.get(conversation.id)) || "";
    autosize();
  }
  const reason = blockedReason(conversation);
  textarea.disabled = !conversation || reason !== "";
  note.hidden = reason === "";
  note.textContent = reason;
  form.classList.toggle("blocked", reason !== "");
  refreshButton();
  if (focus && !textarea.disabled && window.matchMedia("(pointer: fine)").matches) textarea.focus();
}
