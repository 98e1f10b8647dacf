// The middle column's messages: bubbles, day separators, ticks and failure reasons.
// One message is one entry, found by server id or by the composer's local_id, so an
// optimistic bubble, the POST answer and the events about it never show twice.
import { annotate } from "./annotations.js";
import { contentNodes, systemText } from "./bubbles.js";
import { actionsNode, canAct } from "./bubble-actions.js";
import { element } from "./dom.js";
import { t } from "./i18n.js";
import { forwardedNode, quoteNode } from "./quote.js";
import { renderReferral } from "./referral.js";
import { state } from "./store.js";
import { contactLabel } from "./inbox.js";
import { linkifiedText } from "./links.js";
import { mentionedText } from "./mention-picker.js";
import { dayKey, formatDayLabel, formatFull, formatTime, tickElement } from "./format.js";

const thread = document.getElementById("thread");

// Delivery only moves forward; a late "queued" answer must not undo a "read" event.
const RANK = { received: 0, queued: 0, sent: 1, delivered: 2, read: 3, played: 3, failed: 4 };

let conversationId = null;
// Whether the reader is at the newest message; if so, stay there when the pane resizes
// (the composer grows, a note appears) or new messages come in.
let pinned = true;

thread.addEventListener("scroll", () => {
  pinned = thread.scrollHeight - thread.scrollTop - thread.clientHeight < 80;
});
new ResizeObserver(() => {
  if (pinned) thread.scrollTop = thread.scrollHeight;
}).observe(thread);
let items = [];
let retryHandler = () => {};

export function onRetry(fn) {
  retryHandler = fn;
}

export function threadConversationId() {
  return conversationId;
}

export function showThread(id) {
  conversationId = id;
  items = [];
  pinned = true;
  thread.replaceChildren();
  thread.setAttribute("aria-busy", "true");
}

export function clearThread() {
  conversationId = null;
  items = [];
  thread.replaceChildren();
  renderReferral(items);
}

function sameMessage(a, b) {
  return (a.id != null && a.id === b.id) || (a.local_id && a.local_id === b.local_id);
}

function merge(incoming, force) {
  const index = items.findIndex((item) => sameMessage(item, incoming));
  if (index === -1) {
    items.push(incoming);
    return true;
  }
  const current = items[index];
  const next = { ...current, ...incoming, local_id: incoming.local_id || current.local_id };
  // The server does not echo an outbound reply's context; keep the quote the composer drew.
  if (!incoming.context && current.context) next.context = current.context;
  if (!force && (RANK[incoming.status] ?? 0) < (RANK[current.status] ?? 0)) {
    next.status = current.status;
    next.error = current.error;
  }
  items[index] = next;
  return false;
}

function order(a, b) {
  // Not yet accepted by the server: last, in the order typed.
  if ((a.id == null) !== (b.id == null)) return a.id == null ? 1 : -1;
  return Date.parse(a.created_at) - Date.parse(b.created_at) || (a.id ?? 0) - (b.id ?? 0);
}

// Returns true when the message was new to the open thread.
export function upsertMessages(messages, { force = false } = {}) {
  let added = false;
  let mine = false;
  for (const message of messages) {
    if (message.conversation_id !== conversationId) continue;
    if (merge(message, force)) {
      added = true;
      if (message.direction !== "inbound" && message.author?.id === state.user.id) mine = true;
    }
  }
  render(mine);
  return added;
}

export function upsertMessage(message, options) {
  return upsertMessages([message], options);
}

export function doneLoading() {
  thread.removeAttribute("aria-busy");
  render(true);
}

export function messageById(id) {
  return items.find((item) => item.id === id) || null;
}

export function authorName(message) {
  if (message.direction === "outbound") return message.author?.name || t("quote_business");
  const conversation = state.conversations.get(conversationId);
  return conversation ? contactLabel(conversation.contact || {}) : t("quote_customer");
}

// Scroll to a quoted message and flash it, so the agent sees which one it was.
function jumpTo(wamid) {
  const target = [...thread.querySelectorAll(".message[data-wamid]")].find(
    (node) => node.dataset.wamid === wamid,
  );
  if (!target) return;
  target.scrollIntoView({ block: "center", behavior: "smooth" });
  target.classList.remove("flash");
  void target.offsetWidth; // restart the animation
  target.classList.add("flash");
}

function renderBody(message, bubble, notes) {
  if (notes.revoked.has(message.wamid)) {
    bubble.append(element("p", "message-text revoked", `🚫 ${t("revoked")}`));
    return;
  }
  const edit = notes.edits.get(message.wamid);
  const override = edit && edit.content?.type === message.type ? edit.content.content : null;
  bubble.append(...contentNodes(message, override));
}

function renderReactions(message, node, notes) {
  const reactions = notes.reactions.get(message.wamid);
  if (!reactions) return;
  const row = element("div", "reactions");
  for (const reaction of reactions) {
    const chip = element("span", `reaction from-${reaction.from}`, reaction.emoji);
    chip.dataset.from = reaction.from;
    chip.title = reaction.from === "inbound" ? t("reaction_by_customer") : t("reaction_by_business");
    row.append(chip);
  }
  node.append(row);
  node.classList.add("has-reactions");
}

function textNode(text) {
  const paragraph = element("p", "message-text note-text");
  paragraph.append(mentionedText(text, linkifiedText));
  return paragraph;
}

function renderSystem(message) {
  const node = element("div", "system-notice");
  if (message.id != null) node.dataset.id = String(message.id);
  node.dataset.type = message.type;
  const text = element("span", null, systemText(message));
  text.title = formatFull(message.created_at);
  node.append(text);
  return node;
}

function renderFailure(message, bubble) {
  const box = element("div", "message-error");
  box.setAttribute("role", "note");
  if (message.client_error) {
    box.append(element("strong", null, t("send_error", { error: message.client_error })));
    if (message.client_retry) {
      const retry = element("button", "link-button retry-button", t("retry"));
      retry.type = "button";
      retry.addEventListener("click", () => retryHandler(message));
      box.append(retry);
    }
  } else {
    const error = message.error || {};
    const title = error.title || t("message_failed_generic");
    box.append(element("strong", null, `${t("message_failed")}: ${title}`));
    if (error.details && error.details !== error.title) box.append(element("span", null, error.details));
    if (error.code != null) box.title = `${title} (${error.code})`;
  }
  bubble.append(box);
}

// An internal note: the team's, never sent to WhatsApp. A full-width card of its own (not a
// customer's or an agent's bubble), with its author and time and no delivery ticks.
function renderNote(message) {
  const node = element("div", "internal-note");
  node.setAttribute("role", "note");
  if (message.id != null) node.dataset.id = String(message.id);
  if (message.local_id) node.dataset.localId = message.local_id;
  node.dataset.type = "note";
  const head = element("p", "note-head");
  head.append(element("span", "note-icon", "📝"));
  head.append(element("span", "note-author", t("note_by", { name: message.author?.name || "—" })));
  const time = element("time", "message-time", formatTime(message.created_at));
  time.title = formatFull(message.created_at);
  if (message.created_at) time.dateTime = message.created_at;
  head.append(time);
  node.append(head, textNode(message.text || ""));
  return node;
}

// A line the product itself wrote in the thread (re-routed, closed for silence): internal,
// by no one, shown like WhatsApp's own notices.
function renderTimeline(message) {
  const node = element("div", "system-notice timeline-line");
  if (message.id != null) node.dataset.id = String(message.id);
  node.dataset.type = "timeline";
  const text = element("span", null, `${t("system_author")} · ${message.text || ""}`);
  text.title = formatFull(message.created_at);
  node.append(text);
  return node;
}

function renderMessage(message, notes) {
  if (message.direction === "internal") {
    return message.author ? renderNote(message) : renderTimeline(message);
  }
  if (message.type === "system") return renderSystem(message);
  const node = element("div", `message ${message.direction === "inbound" ? "inbound" : "outbound"}`);
  if (message.id != null) node.dataset.id = String(message.id);
  if (message.local_id) node.dataset.localId = message.local_id;
  if (message.wamid) node.dataset.wamid = message.wamid;
  node.dataset.status = message.status;
  node.dataset.type = message.type;

  const bubble = element("div", "bubble");
  if (message.direction === "outbound" && message.author && message.author.id !== state.user.id) {
    bubble.append(element("p", "message-author", message.author.name));
  } else if (message.direction === "outbound" && !message.author) {
    // A queue's greeting or closed message: sent by the product, not by an agent.
    bubble.append(element("p", "message-author automatic", t("system_author")));
  }
  const forwarded = forwardedNode(message.context);
  if (forwarded) bubble.append(forwarded);
  if (message.context?.reply_to) {
    bubble.append(quoteNode(message.context.reply_to, notes, authorName, jumpTo));
  }
  renderBody(message, bubble, notes);
  if (message.status === "failed") renderFailure(message, bubble);

  const meta = element("span", "message-meta");
  if (notes.edits.has(message.wamid) && !notes.revoked.has(message.wamid)) {
    meta.append(element("span", "edited", t("edited")));
  }
  const time = element("time", "message-time", formatTime(message.created_at));
  time.title = formatFull(message.created_at);
  if (message.created_at) time.dateTime = message.created_at;
  meta.append(time);
  if (message.direction === "outbound") meta.append(tickElement(message.status));
  bubble.append(meta);
  node.append(bubble);
  if (canAct(message)) node.append(actionsNode(message));
  renderReactions(message, node, notes);
  return node;
}

function render(stickToBottom) {
  const nearBottom = pinned;
  const previousTop = thread.scrollTop;
  items.sort(order);
  const notes = annotate(items);
  const nodes = [];
  let lastDay = "";
  for (const message of items) {
    if (notes.hidden.has(message)) continue;
    const day = dayKey(message.created_at);
    if (day && day !== lastDay) {
      const separator = element("div", "day-separator");
      separator.append(element("span", null, formatDayLabel(message.created_at)));
      nodes.push(separator);
      lastDay = day;
    }
    nodes.push(renderMessage(message, notes));
  }
  if (!nodes.length && !thread.hasAttribute("aria-busy")) {
    nodes.push(element("p", "thread-empty-note", t("empty_messages")));
  }
  thread.replaceChildren(...nodes);
  renderReferral(items);
  if (stickToBottom || nearBottom) {
    thread.scrollTop = thread.scrollHeight;
    pinned = true;
  } else {
    thread.scrollTop = previousTop;
  }
}
