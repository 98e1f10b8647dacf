// Message search in the inbox panel: as the agent types, the conversation list gives way to
// the messages that match (GET /api/v1/messages?q=), newest first, the words found marked.
// Customer text is only ever put in text nodes; the marks are <mark> elements around them.
// Above the messages, "Clientes": up to 5 customers the text names (GET /api/v1/contacts?q=,
// by name or any form of their number); Enter or a click opens their last conversation.
import { api } from "./api.js";
import { element } from "./dom.js";
import { t } from "./i18n.js";
import { avatarFor, contactLabel } from "./inbox.js";
import { formatFull, formatListTime } from "./format.js";
import { state } from "./store.js";

const inbox = document.getElementById("inbox");
const input = document.getElementById("inbox-search");
const panel = document.getElementById("search-results");
const status = document.getElementById("search-status");
const list = document.getElementById("search-list");
const more = document.getElementById("search-more");
const thread = document.getElementById("thread");

// The customers section is built here (the inbox template holds the message list only).
const customers = element("section", "search-customers");
const customersHeading = element("h3", "search-section-heading", t("search_customers"));
customersHeading.id = "search-customers-heading";
const customerList = element("ul", "search-customer-list");
customerList.setAttribute("aria-labelledby", customersHeading.id);
customers.append(customersHeading, customerList);
customers.hidden = true;
list.before(customers);
const CUSTOMERS_SHOWN = 5;

const DEBOUNCE_MS = 250;
// Where a long message is cut so that its first match shows (the text is clamped to two
// lines by the CSS): this many characters before the match are kept.
const LEAD = 24;
const WORD = /[\p{L}\p{N}\p{M}]+/gu;

let query = null; // the query whose results are shown, or null for the conversation list
let terms = [];
let nextBefore = null;
let sequence = 0; // an answer to an older query (or to a closed search) is dropped
let timer = 0;
let watcher = null;

// The comparison form, as the server matches: lower case, accents removed.
function fold(text) {
  return text.toLowerCase().normalize("NFD").replace(/\p{M}/gu, "");
}

function searchable(text) {
  return (text.match(/[\p{L}\p{N}]/gu) || []).length >= 2;
}

export function queryTerms(text) {
  return [...text.matchAll(WORD)].map((match) => fold(match[0])).filter(Boolean);
}

// How many code units of `word` fold into its first `length` folded ones (with the accents
// that follow them, when the text is decomposed).
function prefixEnd(word, length) {
  let folded = 0;
  let end = 0;
  for (const char of word) {
    const part = fold(char);
    if (folded >= length && part) break;
    folded += part.length;
    end += char.length;
  }
  return end;
}

// [start, end) ranges of `text` to mark: every word equal to a term of the query, and words
// that start with its last term (two characters or more), as the server matches them.
export function matchRanges(text, words) {
  const ranges = [];
  if (!words.length) return ranges;
  const whole = new Set(words);
  const prefix = words.at(-1).length >= 2 ? words.at(-1) : null;
  for (const match of text.matchAll(WORD)) {
    const word = fold(match[0]);
    if (whole.has(word)) {
      ranges.push([match.index, match.index + match[0].length]);
    } else if (prefix && word.startsWith(prefix)) {
      ranges.push([match.index, match.index + prefixEnd(match[0], prefix.length)]);
    }
  }
  return ranges;
}

// A long text starts a little before its first match, so the match is on screen.
function excerpt(text, ranges) {
  const first = ranges[0];
  if (!first || first[0] <= LEAD * 2) return { text, ranges };
  let start = first[0] - LEAD;
  const space = text.slice(start, first[0]).search(/\s/);
  if (space !== -1) start += space + 1;
  else if (/[\uDC00-\uDFFF]/.test(text[start])) start += 1; // not half an emoji
  const shift = 1 - start;
  return {
    text: `…${text.slice(start)}`,
    ranges: ranges.map(([from, to]) => [from + shift, to + shift]),
  };
}

function highlighted(node, text, words) {
  const cut = excerpt(text, matchRanges(text, words));
  let at = 0;
  for (const [from, to] of cut.ranges) {
    if (from > at) node.append(document.createTextNode(cut.text.slice(at, from)));
    node.append(element("mark", null, cut.text.slice(from, to)));
    at = to;
  }
  if (at < cut.text.length) node.append(document.createTextNode(cut.text.slice(at)));
}

function authorPrefix(message) {
  if (message.direction === "internal") {
    const name = message.author?.name || message.author_name || t("quote_business");
    return t("search_author_prefix", { name: t("note_by", { name }) });
  }
  if (message.direction !== "outbound") return "";
  const author = message.author;
  if (author && author.id === state.user.id) return t("you_prefix");
  const name = author?.name || message.author_name || t("quote_business");
  return t("search_author_prefix", { name });
}

function markActive(item, active) {
  item.classList.toggle("active", active);
  const button = item.querySelector("button");
  if (active) button.setAttribute("aria-current", "true");
  else button.removeAttribute("aria-current");
}

function renderResult(message) {
  const conversation = message.conversation || {};
  const contact = conversation.contact || {};
  const item = element("li", "search-result");
  const button = element("button", "conversation-button search-result-button");
  button.type = "button";
  button.dataset.conversationId = String(conversation.id ?? message.conversation_id);
  button.dataset.messageId = String(message.id);

  const avatar = element("span", "avatar");
  avatar.setAttribute("aria-hidden", "true");
  avatarFor(avatar, contact);

  const top = element("span", "conversation-row");
  top.append(element("span", "contact-name", contactLabel(contact)));
  const time = element("time", "conversation-time", formatListTime(message.created_at));
  time.title = formatFull(message.created_at);
  if (message.created_at) time.dateTime = message.created_at;
  top.append(time);

  const text = element("span", "search-text");
  const prefix = authorPrefix(message);
  if (prefix) text.append(element("span", "you", prefix));
  highlighted(text, message.text || message.summary || "", terms);

  const body = element("span", "conversation-body");
  body.append(top, text);
  button.append(avatar, body);
  item.append(button);
  if (Number(button.dataset.conversationId) === state.openId) markActive(item, true);
  return item;
}

function renderCustomer(contact) {
  const item = element("li", "search-customer-item");
  const button = element("button", "conversation-button search-result-button search-customer");
  button.type = "button";
  button.dataset.conversationId = String(contact.last_conversation_id);
  button.dataset.contactId = String(contact.id);
  const avatar = element("span", "avatar");
  avatar.setAttribute("aria-hidden", "true");
  avatarFor(avatar, contact);
  const body = element("span", "conversation-body");
  body.append(
    element("span", "contact-name", contact.name || contact.phone),
    element("span", "search-text", contact.phone || contact.user_id || ""),
  );
  button.append(avatar, body);
  item.append(button);
  return item;
}

function showCustomers(contacts) {
  const shown = contacts.filter((c) => c.last_conversation_id != null).slice(0, CUSTOMERS_SHOWN);
  customerList.replaceChildren(...shown.map(renderCustomer));
  customers.hidden = !shown.length;
}

async function searchCustomers(text, mine) {
  try {
    const data = await api.get(`/api/v1/contacts?${new URLSearchParams({ q: text })}`);
    if (mine === sequence) showCustomers(data.contacts || []);
  } catch {
    if (mine === sequence) showCustomers([]); // the message results still say what failed
  }
}

function showStatus(text, { error = false } = {}) {
  status.textContent = text;
  status.classList.toggle("error", error);
}

function enter() {
  inbox.classList.add("searching");
  panel.hidden = false;
}

// Back to the conversation list; whatever is still on its way is dropped.
function leave() {
  clearTimeout(timer);
  sequence += 1;
  query = null;
  nextBefore = null;
  inbox.classList.remove("searching");
  panel.hidden = true;
  list.removeAttribute("aria-busy");
  list.replaceChildren();
  showCustomers([]);
  more.hidden = true;
  showStatus("");
}

function url(text, before) {
  const params = new URLSearchParams({ q: text });
  if (before != null) params.set("before", String(before));
  return `/api/v1/messages?${params}`;
}

async function search(text) {
  const mine = ++sequence;
  query = text;
  terms = queryTerms(text);
  nextBefore = null;
  enter();
  more.hidden = true;
  list.setAttribute("aria-busy", "true");
  if (!list.childElementCount) showStatus(t("search_searching"));
  searchCustomers(text, mine);
  try {
    const data = await api.get(url(text));
    if (mine !== sequence) return;
    const messages = data.messages || [];
    list.replaceChildren(...messages.map(renderResult));
    panel.scrollTop = 0;
    nextBefore = data.next_before ?? null;
    more.hidden = nextBefore == null;
    showStatus(messages.length || !customers.hidden ? "" : t("search_no_results"));
  } catch (error) {
    if (mine !== sequence) return;
    query = null; // the same text, asked again (Enter), is searched again
    list.replaceChildren();
    showStatus(error.message, { error: true });
  } finally {
    if (mine === sequence) list.removeAttribute("aria-busy");
  }
}

async function loadMore() {
  if (query == null || nextBefore == null) return;
  const mine = sequence;
  const firstNew = list.childElementCount;
  more.disabled = true;
  try {
    const data = await api.get(url(query, nextBefore));
    if (mine !== sequence) return;
    list.append(...(data.messages || []).map(renderResult));
    nextBefore = data.next_before ?? null;
    more.hidden = nextBefore == null;
    // The button goes away with the last page (which may come back empty when the customer
    // deleted the messages it held): the keyboard
    // goes on to the first new result, or stays on the last one.
    if (more.hidden) {
      (list.children[firstNew] || list.lastElementChild)?.querySelector("button")?.focus();
    }
  } catch (error) {
    if (mine === sequence) showStatus(error.message, { error: true });
  } finally {
    more.disabled = false;
  }
}

function onInput({ now = false } = {}) {
  clearTimeout(timer);
  // Composed, as the server's tokenizers expect (a pasted "o\u0301" is one letter).
  const text = input.value.trim().normalize("NFC");
  if (!searchable(text)) {
    // Too short to ask about (or cleared): the conversation list is back at once.
    if (!panel.hidden) leave();
    return;
  }
  if (text === query) return;
  if (now) search(text);
  else timer = setTimeout(() => search(text), DEBOUNCE_MS);
}

// Once the thread has loaded, bring the message found into view and flash it. A message
// older than the thread's first page is not there: the thread then just opens as usual.
function reveal(messageId) {
  watcher?.disconnect();
  const find = () =>
    thread.getAttribute("aria-busy") === "true"
      ? null
      : thread.querySelector(`.message[data-id="${messageId}"]`);
  const show = (node) => {
    node.scrollIntoView({ block: "center" });
    node.classList.remove("flash");
    void node.offsetWidth; // restart the animation
    node.classList.add("flash");
  };
  const found = find();
  if (found) return show(found);
  const observer = new MutationObserver(() => {
    const node = find();
    if (!node) return;
    observer.disconnect();
    show(node);
  });
  observer.observe(thread, { childList: true, attributes: true, attributeFilter: ["aria-busy"] });
  watcher = observer;
  setTimeout(() => observer.disconnect(), 5000);
}

function results() {
  return [...panel.querySelectorAll(".search-result-button")];
}

export function setupSearch({ onOpen }) {
  input.addEventListener("input", () => onInput());
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      // Results shown for this very text: Enter opens the first customer's conversation.
      const first = customerList.querySelector("button");
      if (first && query === input.value.trim().normalize("NFC")) first.click();
      else onInput({ now: true }); // no need to wait for the pause
    } else if (event.key === "Escape" && (input.value || query != null)) {
      event.preventDefault();
      input.value = "";
      leave();
    } else if (event.key === "ArrowDown" && query != null) {
      event.preventDefault();
      results()[0]?.focus();
    }
  });
  panel.addEventListener("keydown", (event) => {
    const buttons = results();
    const at = buttons.indexOf(document.activeElement);
    if (event.key === "Escape") {
      event.preventDefault();
      input.value = "";
      leave();
      input.focus();
    } else if (at !== -1 && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      event.preventDefault();
      const next = at + (event.key === "ArrowDown" ? 1 : -1);
      (next < 0 ? input : buttons[Math.min(next, buttons.length - 1)]).focus();
    }
  });
  panel.addEventListener("click", (event) => {
    const button = event.target.closest(".search-result-button");
    if (!button) return;
    const id = Number(button.dataset.conversationId);
    for (const item of [...customerList.children, ...list.children]) {
      markActive(item, item.contains(button));
    }
    onOpen(id);
    if (button.dataset.messageId) reveal(Number(button.dataset.messageId));
  });
  more.addEventListener("click", loadMore);
}
