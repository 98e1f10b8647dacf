// The left column: tabs (Mías / En cola / Todas) and the conversation list.
import { t } from "./i18n.js";
import { conversationsIn, state } from "./store.js";
import { displayPhone, formatFull, formatListTime, hueFor, icon, initials } from "./format.js";
import { filtersActive, renderFilters } from "./filters.js";
import { labelChips } from "./labels.js";
import { waitingText } from "./order.js";

const list = document.getElementById("conversation-list");
const empty = document.getElementById("inbox-empty");
const tabs = [...document.querySelectorAll(".tab[data-view]")];

export function setupInbox({ onOpen, onView }) {
  for (const tab of tabs) {
    tab.addEventListener("click", () => onView(tab.dataset.view));
  }
  list.addEventListener("click", (event) => {
    const item = event.target.closest(".conversation-item");
    if (item) onOpen(Number(item.dataset.id));
  });
}

export function avatarFor(element, contact) {
  element.replaceChildren();
  element.style.setProperty("--avatar-hue", hueFor(contact.id ?? contact.wa_id));
  if (contact.name && contact.name.trim()) {
    element.textContent = initials(contact.name);
  } else {
    element.append(icon("person"));
  }
}

export function contactLabel(contact) {
  return (contact.name && contact.name.trim()) || displayPhone(contact.wa_id);
}

function span(className, text) {
  const element = document.createElement("span");
  element.className = className;
  if (text !== undefined) element.textContent = text;
  return element;
}

// The open conversation's unread count is not shown while the agent is looking at it.
function unreadShown(conversation) {
  const looking = conversation.id === state.openId && document.visibilityState === "visible";
  return looking ? 0 : conversation.unread_count || 0;
}

function renderItem(conversation) {
  const item = document.createElement("li");
  item.className = "conversation-item";
  item.dataset.id = String(conversation.id);
  item.dataset.status = conversation.status;
  const unread = unreadShown(conversation);
  if (unread) item.classList.add("unread");

  const button = document.createElement("button");
  button.type = "button";
  button.className = "conversation-button";
  if (conversation.id === state.openId) {
    item.classList.add("active");
    button.setAttribute("aria-current", "true");
  }

  const avatar = span("avatar");
  avatar.setAttribute("aria-hidden", "true");
  avatarFor(avatar, conversation.contact || {});

  const body = span("conversation-body");
  const top = span("conversation-row");
  top.append(span("contact-name", contactLabel(conversation.contact || {})));
  const when = conversation.last_message?.created_at || conversation.last_message_at;
  const time = document.createElement("time");
  time.className = "conversation-time";
  time.textContent = formatListTime(when);
  time.title = formatFull(when);
  if (when) time.dateTime = when;
  top.append(time);

  const middle = span("conversation-row");
  const last = conversation.last_message;
  const summary = span("conversation-summary");
  if (last) {
    if (last.direction === "outbound") {
      // A queue's greeting or closed message has no author: the product sent it.
      const prefix = last.author_id == null ? t("system_prefix") : t("you_prefix");
      summary.append(span("you", prefix));
    }
    summary.append(document.createTextNode(last.summary || ""));
  }
  middle.append(summary);
  if (unread) {
    const badge = span("unread-badge", unread > 99 ? "99+" : String(unread));
    badge.title = t("unread_count", { count: unread });
    middle.append(badge);
  }

  const bottom = span("conversation-row small");
  bottom.append(span("conversation-number", conversation.number || ""));
  if (conversation.status === "snoozed") {
    // Put aside: when it comes back (or sooner, if the customer writes).
    const back = formatFull(conversation.snoozed_until);
    bottom.append(span("conversation-state state-snoozed", t("snoozed_until", { time: back })));
  } else if (state.view === "all") {
    const who =
      conversation.status === "closed"
        ? t("status_closed")
        : conversation.status === "queued"
          ? t("status_queued")
          : conversation.assignee_name || t("status_assigned");
    bottom.append(span(`conversation-state state-${conversation.status}`, who));
  }

  const waiting = waitingText(conversation);
  if (waiting) bottom.append(span("conversation-waiting", waiting));
  if (conversation.labels && conversation.labels.length) {
    bottom.append(labelChips(conversation.labels));
  }
  body.append(top, middle, bottom);
  button.append(avatar, body);
  item.append(button);
  return item;
}

export function renderInbox() {
  const conversations = conversationsIn(state.view);
  list.replaceChildren(...conversations.map(renderItem));
  list.removeAttribute("aria-busy");
  empty.hidden = conversations.length > 0;
  const filtered = state.view === "all" && filtersActive();
  empty.textContent = t(filtered ? "empty_filtered" : `empty_${state.view}`);
  renderFilters();

  for (const tab of tabs) {
    const selected = tab.dataset.view === state.view;
    tab.setAttribute("aria-selected", String(selected));
    tab.classList.toggle("selected", selected);
    const count = tab.querySelector(".tab-count");
    const n = tab.dataset.view === "all" ? 0 : conversationsIn(tab.dataset.view).length;
    count.hidden = n === 0;
    count.textContent = String(n);
  }
  // The tab title's "(N)" is notify.js's: the notices the agent has not seen yet.
}

export function showLoading() {
  list.replaceChildren();
  list.setAttribute("aria-busy", "true");
  empty.hidden = false;
  empty.textContent = t("loading");
}
