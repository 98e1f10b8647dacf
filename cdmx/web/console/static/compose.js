// The composer: Enter sends, Shift+Enter is a new line, disabled while empty or when the
// conversation cannot be answered (closed, not ours, or the 24-hour window is over — then
// it offers a template instead). A message shows at once with its local_id and is
// reconciled by thread.js. Others follow the lock through the store's "composer" topic.
import { api } from "./api.js";
import { t } from "./i18n.js";
import { emit, isMine } from "./store.js";
import { msUntil } from "./format.js";
import { markFailed, messagesPath, optimistic } from "./outgoing.js";
import { clearReply, replyTarget, setReplyConversation, setupReply } from "./reply.js";
import { onRetry, upsertMessage } from "./thread.js";

const form = document.getElementById("compose-form");
const textarea = document.getElementById("composer");
const button = document.getElementById("send-button");
const note = document.getElementById("composer-note");
const noteText = document.getElementById("composer-note-text");
const templatePrompt = document.getElementById("template-prompt");

const drafts = new Map();
let current = null;

// "" when free text may be sent; "window" when only a template may; else why nothing may.
function lockOf(conversation) {
  if (!conversation) return { lock: "none", reason: "" };
  if (conversation.status === "closed") return { lock: "all", reason: t("composer_closed") };
  if (conversation.status === "queued") return { lock: "all", reason: t("composer_take_first") };
  if (!isMine(conversation)) return { lock: "all", reason: t("composer_not_assignee") };
  if (msUntil(conversation.window_expires_at) <= 0) {
    return { lock: "window", reason: t("composer_window_closed") };
  }
  return { lock: "", reason: "" };
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
    const accepted = await api.post(messagesPath(message.conversation_id), {
      type: "text",
      text: message.text,
      local_id: message.local_id,
      reply_to: message.reply_to_id ?? undefined,
    });
    if (accepted) upsertMessage(accepted);
  } catch (error) {
    markFailed(message, error);
  }
}

function send() {
  const text = textarea.value.trim();
  if (!current || textarea.disabled || !text) return;
  const quoted = replyTarget();
  const message = optimistic(current.id, {
    text,
    summary: text,
    content: { body: text },
    reply_to_id: quoted ? quoted.id : null,
    context: quoted ? { reply_to: quoted.wamid } : null,
  });
  textarea.value = "";
  drafts.delete(current.id);
  clearReply();
  autosize();
  refreshButton();
  upsertMessage(message);
  post(message);
}

export function focusComposer() {
  if (!textarea.disabled) textarea.focus();
}

// Hooks for the rest of the composer (menu, attachments): the open conversation and its lock.
export function composerConversation() {
  return current;
}

export function setupComposer({ onTemplate }) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    } else if (event.key === "Escape" && replyTarget()) {
      clearReply();
    }
  });
  textarea.addEventListener("input", () => {
    if (current) drafts.set(current.id, textarea.value);
    autosize();
    refreshButton();
  });
  templatePrompt.addEventListener("click", () => onTemplate());
  setupReply({ focus: focusComposer });
  // Retrying reuses the local_id, so a send that did reach the server is not doubled.
  onRetry((message) => {
    if (message.type !== "text") return;
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
    setReplyConversation(conversation ? conversation.id : null);
    autosize();
  }
  const { lock, reason } = lockOf(conversation);
  textarea.disabled = lock !== "";
  note.hidden = reason === "";
  noteText.textContent = reason;
  templatePrompt.hidden = lock !== "window";
  form.classList.toggle("blocked", lock !== "");
  if (lock !== "") clearReply();
  refreshButton();
  emit("composer", { conversation, lock });
  if (focus && !textarea.disabled && window.matchMedia("(pointer: fine)").matches) textarea.focus();
}
