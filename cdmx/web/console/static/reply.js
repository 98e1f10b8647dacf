// Replying to a message: the quoted bubble above the composer (with × to drop it), kept per
// conversation; the composer sends its id as reply_to.
import { t } from "./i18n.js";
import { quotedSummary } from "./quote.js";

const bar = document.getElementById("reply-bar");
const author = document.getElementById("reply-author");
const text = document.getElementById("reply-text");

const replies = new Map(); // conversation id → message
let conversationId = null;
let onChange = () => {};

function render() {
  const message = replies.get(conversationId);
  bar.hidden = !message;
  if (!message) return;
  author.textContent = message.label;
  text.textContent = quotedSummary(message);
  bar.dataset.replyTo = String(message.id);
}

export function setupReply({ focus }) {
  onChange = focus;
  document.getElementById("reply-cancel").addEventListener("click", () => clearReply());
}

// label: who wrote it, as the quote will name them.
export function startReply(message, label) {
  if (conversationId !== message.conversation_id) return;
  replies.set(conversationId, { ...message, label: label || t("quote_customer") });
  render();
  onChange();
}

export function clearReply() {
  replies.delete(conversationId);
  render();
}

export function replyTarget() {
  return replies.get(conversationId) || null;
}

export function setReplyConversation(id) {
  conversationId = id;
  render();
}
