// Quick replies in the composer: "/" as the first character of the box opens a list over
// it, filtered by what follows (shortcut or text, case and accents ignored). ArrowUp and
// ArrowDown move, Enter or Tab chooses, Escape closes; a click chooses too. Choosing puts
// the reply's text, filled for this customer and agent by the server, in the box — nothing
// is sent until the agent sends it. The textarea owns the focus throughout and points at
// the active option with aria-activedescendant (the combobox pattern, with the listbox
// below). Replies are read per conversation (GET …?conversation_id=) and kept for the
// session; a list older than STALE_MS, or an empty one, is read again when the list opens.
import { api } from "./api.js";
import { sendCannedFile } from "./attach.js";
import { element } from "./dom.js";
import { t } from "./i18n.js";

const STALE_MS = 30_000;
const SHOWN_MAX = 50; // a longer list is narrowed by typing, not scrolled

const popup = document.getElementById("canned-popup");
const list = document.getElementById("canned-list");
const empty = document.getElementById("canned-empty");
const live = document.getElementById("canned-live");

const cache = new Map(); // conversation id → { at, items }
const loading = new Map(); // conversation id → the request under way

let textarea = null;
let conversationOf = () => null;
let fill = () => {};
let openFor = null; // the conversation id the list is open for, or null when closed
let query = "";
let matches = [];
let active = -1;
let dismissed = false; // Escape (or a choice) keeps it closed until the "/" is gone

// The comparison form: lower case, accents removed ("Devolución" → "devolucion").
function fold(text) {
  return String(text || "").toLowerCase().normalize("NFD").replace(/\p{M}/gu, "");
}

// What follows the slash while the box is "/…" on one line; else null.
function queryOf(value) {
  return value.startsWith("/") && !value.includes("\n") ? value.slice(1) : null;
}

function shownText(item) {
  return item.rendered ?? item.text;
}

// Shortcuts that start with the query first, then those that contain it, then the texts.
function filtered(items, typed) {
  const wanted = fold(typed).trim();
  if (!wanted) return items.slice(0, SHOWN_MAX);
  const ranked = [];
  for (const item of items) {
    const shortcut = fold(item.shortcut);
    let rank = -1;
    if (shortcut.startsWith(wanted)) rank = 0;
    else if (shortcut.includes(wanted)) rank = 1;
    else if (fold(shownText(item)).includes(wanted) || fold(item.text).includes(wanted)) rank = 2;
    if (rank >= 0) ranked.push({ item, rank });
  }
  ranked.sort((a, b) => a.rank - b.rank);
  return ranked.slice(0, SHOWN_MAX).map((each) => each.item);
}

function optionId(item) {
  return `canned-option-${item.id}`;
}

function showActive({ scroll = true } = {}) {
  list.querySelectorAll("[role=option]").forEach((node, index) => {
    node.setAttribute("aria-selected", String(index === active));
    if (index === active && scroll) node.scrollIntoView({ block: "nearest" });
  });
  if (active >= 0 && matches[active]) {
    textarea.setAttribute("aria-activedescendant", optionId(matches[active]));
  } else {
    textarea.removeAttribute("aria-activedescendant");
  }
}

function showEmpty(message, { link = false } = {}) {
  if (link) {
    // "Sin respuestas rápidas; créalas en {link}": the page's name becomes the link.
    const [before, after = ""] = t("canned_empty").split("{link}");
    const anchor = element("a", null, t("canned_title"));
    anchor.href = "/canned";
    anchor.target = "_blank";
    anchor.rel = "noopener";
    empty.replaceChildren(before, anchor, after);
  } else {
    empty.replaceChildren(message);
  }
  empty.hidden = false;
  live.textContent = empty.textContent;
}

function option(item, index) {
  const node = element("li", "canned-option");
  node.id = optionId(item);
  node.setAttribute("role", "option");
  node.setAttribute("aria-selected", "false");
  node.dataset.index = String(index);
  node.dataset.shortcut = item.shortcut;
  const firstLine = shownText(item).split("\n").find((line) => line.trim()) || "";
  node.append(
    element("span", "canned-option-shortcut", `/${item.shortcut}`),
    element("span", "canned-option-text", firstLine),
  );
  if (item.attachment) {
    node.append(element("span", "canned-option-file", `📎 ${item.attachment.filename || ""}`));
  }
  if (item.owner_id != null) node.append(element("span", "canned-option-scope", t("canned_personal")));
  return node;
}

function render() {
  const entry = cache.get(openFor);
  const previous = matches[active]?.id;
  matches = entry ? filtered(entry.items, query) : [];
  list.replaceChildren(...matches.map(option));
  list.hidden = matches.length === 0;
  empty.hidden = true;
  if (!entry) {
    if (!loading.has(openFor)) showEmpty(t("canned_load_failed", { error: t("error_generic") }));
    else showEmpty(t("canned_loading"));
  } else if (entry.items.length === 0) {
    showEmpty("", { link: true });
  } else if (matches.length === 0) {
    showEmpty(t("canned_no_match", { query: query.trim() }));
  } else {
    live.textContent = t("canned_count", { count: matches.length });
  }
  // The same reply stays active while the agent types; else the first one is.
  const kept = matches.findIndex((item) => item.id === previous);
  active = kept >= 0 ? kept : matches.length ? 0 : -1;
  showActive();
}

async function load(id) {
  if (loading.has(id)) return loading.get(id);
  const pending = api
    .get(`/api/v1/canned-responses?conversation_id=${id}`)
    .then((data) => {
      cache.set(id, { at: Date.now(), items: data?.canned_responses || [] });
    })
    .catch((error) => {
      // A list read before will do; without one, say why the list is empty.
      if (!cache.has(id) && openFor === id) showEmpty(t("canned_load_failed", { error: error.message }));
    })
    .finally(() => {
      loading.delete(id);
      if (openFor === id && cache.has(id)) render();
    });
  loading.set(id, pending);
  return pending;
}

function open(id) {
  if (openFor !== id) {
    openFor = id;
    matches = [];
    active = -1;
    const entry = cache.get(id);
    if (!entry || entry.items.length === 0 || Date.now() - entry.at > STALE_MS) load(id);
  }
  popup.hidden = false;
  render();
}

export function closeCanned({ reset = true } = {}) {
  if (reset) dismissed = false;
  if (openFor === null) return;
  openFor = null;
  matches = [];
  active = -1;
  popup.hidden = true;
  list.replaceChildren();
  empty.hidden = true;
  live.textContent = "";
  textarea.removeAttribute("aria-activedescendant");
}

function choose(index) {
  const item = matches[index];
  if (!item) return;
  closeCanned();
  dismissed = true; // a reply whose text itself starts with "/" does not reopen the list
  if (item.attachment) {
    // Its file goes with the text as the caption: shown in the send dialog first.
    fill("");
    sendCannedFile(conversationOf(), item, shownText(item));
    return;
  }
  fill(shownText(item));
}

// After every change of the box's text: open, narrow or close the list.
export function cannedInput() {
  const typed = queryOf(textarea.value);
  const conversation = conversationOf();
  if (typed === null || !conversation || textarea.disabled) {
    if (typed === null) dismissed = false;
    closeCanned({ reset: false });
    return;
  }
  if (dismissed) return;
  query = typed;
  open(conversation.id);
}

// The composer asks first: true when the key was the list's (the composer then ignores it).
export function cannedKeydown(event) {
  if (openFor === null || event.isComposing) return false;
  const count = matches.length;
  if ((event.key === "ArrowDown" || event.key === "ArrowUp") && count) {
    event.preventDefault();
    active = event.key === "ArrowDown" ? (active + 1) % count : (active - 1 + count) % count;
    showActive();
    return true;
  }
  if ((event.key === "Enter" || event.key === "Tab") && !event.shiftKey) {
    if (count && active >= 0) {
      event.preventDefault();
      choose(active);
      return true;
    }
    // Still reading the list: wait rather than send "/sal" as a message.
    if (event.key === "Enter" && !cache.has(openFor) && loading.has(openFor)) {
      event.preventDefault();
      return true;
    }
    return false;
  }
  if (event.key === "Escape") {
    event.preventDefault();
    closeCanned();
    dismissed = true;
    return true;
  }
  return false;
}

export function setupCanned({ input, conversation, onChoose }) {
  textarea = input;
  conversationOf = conversation;
  fill = onChoose;
  // The textarea keeps the focus while the mouse picks (and the list stays open for the
  // click, the page's link included).
  popup.addEventListener("mousedown", (event) => event.preventDefault());
  list.addEventListener("click", (event) => {
    const node = event.target.closest("[role=option]");
    if (node) choose(Number(node.dataset.index));
  });
  list.addEventListener("pointermove", (event) => {
    const node = event.target.closest("[role=option]");
    const index = node ? Number(node.dataset.index) : -1;
    if (index >= 0 && index !== active) {
      active = index;
      showActive({ scroll: false });
    }
  });
  textarea.addEventListener("blur", () => closeCanned({ reset: false }));
}
