// The composer: Enter sends, Shift+Enter is a new line, disabled while empty or when the
// conversation cannot be answered (closed, not ours, or the 24-hour window is over — then
// it offers a template instead). A message shows at once with its local_id and is
// reconciled by thread.js. Others follow the lock through the store's "composer" topic.
// "Responder | Nota interna" switches it to writing an internal note (POST …/notes): for
// the team only, so no window lock, attachments, templates or quotes — the lock is "note".
// "/" at the start opens the quick replies (canned.js), in either mode; "@" in a note offers
// the team (mention-picker.js).
import { api } from "./api.js";
import { cannedInput, cannedKeydown, closeCanned, setupCanned } from "./canned.js";
import { mentionInput, mentionKeydown, setupMentionPicker } from "./mention-picker.js";
import { t } from "./i18n.js";
import { emit, isMine } from "./store.js";
import { msUntil } from "./format.js";
import { markFailed, messagesPath, optimistic } from "./outgoing.js";
import { clearReply, replyTarget, setReplyConversation, setupReply } from "./reply.js";
import { onRetry, upsertMessage } from "./thread.js";
import { toast } from "./toast.js";

const form = document.getElementById("compose-form");
const textarea = document.getElementById("composer");
const button = document.getElementById("send-button");
const note = document.getElementById("composer-note");
const noteText = document.getElementById("composer-note-text");
const templatePrompt = document.getElementById("template-prompt");
const modeGroup = document.getElementById("compose-mode");
const modeButtons = [...modeGroup.querySelectorAll("[data-mode]")];
const noteHint = document.getElementById("note-hint");
const sendLabel = button.querySelector(".visually-hidden");

const PLACEHOLDER = textarea.placeholder;
const SEND_TITLE = button.title;
const drafts = new Map(); // "<id>" for the reply, "<id>:note" for the note
const modes = new Map(); // conversation id → "note" while writing a note there
let current = null;
let mode = "reply";
let savingNote = false;

function draftKey(id, kind = mode) {
  return kind === "note" ? `${id}:note` : String(id);
}

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
  button.disabled = textarea.disabled || textarea.value.trim() === "" || (mode === "note" && savingNote);
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

async function sendNote() {
  const text = textarea.value.trim();
  if (!current || textarea.disabled || !text || savingNote) return;
  const conversationId = current.id;
  savingNote = true;
  textarea.value = "";
  closeCanned();
  drafts.delete(draftKey(conversationId, "note"));
  autosize();
  refreshButton();
  try {
    const note = await api.post(`/api/v1/conversations/${conversationId}/notes`, { text });
    if (note) upsertMessage(note);
  } catch (error) {
    toast(t("note_failed", { error: error.message }), { error: true });
    // Give the words back, unless the agent has already started another note.
    if (current?.id === conversationId && mode === "note" && !textarea.value) {
      textarea.value = text;
      drafts.set(draftKey(conversationId, "note"), text);
      autosize();
    } else if (!drafts.get(draftKey(conversationId, "note"))) {
      drafts.set(draftKey(conversationId, "note"), text);
    }
  } finally {
    savingNote = false;
    refreshButton();
  }
}

function send() {
  if (mode === "note") {
    sendNote();
    return;
  }
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
  closeCanned();
  drafts.delete(draftKey(current.id, "reply"));
  clearReply();
  autosize();
  refreshButton();
  upsertMessage(message);
  post(message);
}

export function focusComposer() {
  if (!textarea.disabled) textarea.focus();
}

// A quick reply was chosen: its text replaces the box's, to be read (and edited) first.
function fillComposer(text) {
  textarea.value = text;
  if (current) drafts.set(draftKey(current.id), text);
  autosize();
  refreshButton();
  textarea.focus();
  textarea.setSelectionRange(text.length, text.length);
}

// Hooks for the rest of the composer (menu, attachments): the open conversation and its lock.
export function composerConversation() {
  return current;
}

// "reply" or "note": the composer's look, its placeholder and what Enter does.
function showMode() {
  const note = mode === "note";
  form.dataset.mode = mode;
  form.classList.toggle("note-mode", note);
  for (const option of modeButtons) {
    const selected = option.dataset.mode === mode;
    option.setAttribute("aria-checked", String(selected));
    option.tabIndex = selected ? 0 : -1;
  }
  noteHint.hidden = !note;
  textarea.placeholder = note ? t("note_placeholder") : PLACEHOLDER;
  button.title = note ? t("note_send") : SEND_TITLE;
  if (sendLabel) sendLabel.textContent = button.title;
}

export function setComposeMode(next, { focus = true } = {}) {
  const wanted = next === "note" ? "note" : "reply";
  if (wanted === mode) {
    if (focus) focusComposer();
    return;
  }
  if (current) {
    drafts.set(draftKey(current.id), textarea.value);
    if (wanted === "note") modes.set(current.id, "note");
    else modes.delete(current.id);
    textarea.value = drafts.get(draftKey(current.id, wanted)) || "";
  }
  closeCanned();
  mode = wanted;
  autosize();
  showMode();
  setComposerConversation(current);
  if (focus) focusComposer();
}

export function composeMode() {
  return mode;
}

export function setupComposer({ onTemplate }) {
  modeGroup.addEventListener("click", (event) => {
    const option = event.target.closest("[data-mode]");
    if (option && !option.disabled) setComposeMode(option.dataset.mode);
  });
  // A radio group: the arrows move between "Responder" and "Nota interna".
  modeGroup.addEventListener("keydown", (event) => {
    if (!["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End"].includes(event.key)) return;
    if (!event.target.closest("[data-mode]")) return;
    event.preventDefault();
    let next = mode === "note" ? "reply" : "note";
    if (event.key === "Home") next = "reply";
    if (event.key === "End") next = "note";
    setComposeMode(next, { focus: false });
    modeGroup.querySelector(`[data-mode="${next}"]`)?.focus();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
  setupCanned({ input: textarea, conversation: () => current, onChoose: fillComposer });
  setupMentionPicker({ input: textarea, note: () => mode === "note" });
  textarea.addEventListener("keydown", (event) => {
    if (cannedKeydown(event) || mentionKeydown(event)) return;
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    } else if (event.key === "Escape" && replyTarget()) {
      clearReply();
    }
  });
  textarea.addEventListener("input", () => {
    if (current) drafts.set(draftKey(current.id), textarea.value);
    autosize();
    refreshButton();
    cannedInput();
    mentionInput();
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
    mode = conversation && modes.get(conversation.id) === "note" ? "note" : "reply";
    showMode();
    textarea.value = (conversation && drafts.get(draftKey(conversation.id))) || "";
    closeCanned();
    setReplyConversation(conversation ? conversation.id : null);
    autosize();
  }
  for (const option of modeButtons) option.disabled = !conversation;
  // A note can be written whenever the conversation is open here, window or not.
  const { lock, reason } = mode === "note" && conversation ? { lock: "note", reason: "" } : lockOf(conversation);
  textarea.disabled = lock !== "" && lock !== "note";
  if (textarea.disabled) closeCanned();
  note.hidden = reason === "";
  noteText.textContent = reason;
  templatePrompt.hidden = lock !== "window";
  form.classList.toggle("blocked", textarea.disabled);
  if (lock !== "") clearReply();
  refreshButton();
  emit("composer", { conversation, lock, mode });
  if (focus && !textarea.disabled && window.matchMedia("(pointer: fine)").matches) textarea.focus();
}
