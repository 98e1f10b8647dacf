// Keyboard first: j/k (or ↓/↑) move through the conversation list and Enter opens, r / n
// write a reply / a note, "/" starts the quick replies, Ctrl+K or ⌘K goes to the search box,
// Escape leaves a field, "?" shows the help (_shortcuts.html). Any other key clicks the
// visible, enabled element carrying data-shortcut="<key>" (the header's e and t, the labels'
// l, the profile's p), so a feature gets its key by its markup alone. Nothing fires while
// the agent types in a field (but Escape and Ctrl+K), with Alt/Ctrl/Meta held (but
// Ctrl/⌘+K), or while a dialog is open. Self-starting: main.js only imports it.
import { composerConversation, setComposeMode } from "./compose.js";
import { toggleUserMenu } from "./user-menu.js";

const list = document.getElementById("conversation-list");
const composer = document.getElementById("composer");
const search = document.getElementById("inbox-search");
const help = document.getElementById("shortcuts-dialog");

// The row the agent moved to with the keyboard, so a repaint of the list (a new event)
// does not take the focus away from it.
let cursorId = null;
let listFocused = false;

const FIELDS = "input, textarea, select, [contenteditable]:not([contenteditable='false'])";

function typing(target) {
  return target instanceof Element && (target.isContentEditable || target.closest(FIELDS) !== null);
}

function dialogOpen() {
  return document.querySelector("dialog[open], [aria-modal='true']:not([hidden])") !== null;
}

function shown(element) {
  return element.getClientRects().length > 0 && !element.closest("[hidden], [inert]");
}

function rows() {
  if (!shown(list)) return [];
  return [...list.querySelectorAll(".conversation-button")];
}

function focusRow(button) {
  cursorId = button.closest(".conversation-item")?.dataset.id ?? null;
  button.focus();
  button.scrollIntoView({ block: "nearest" });
}

// j / k: from the focused row, else the open one, else the first (or last).
function move(step) {
  const buttons = rows();
  if (!buttons.length) return false;
  let at = buttons.indexOf(document.activeElement);
  if (at === -1) at = buttons.findIndex((button) => button.getAttribute("aria-current") === "true");
  if (at === -1) at = buttons.findIndex((button) => button.closest(".conversation-item")?.dataset.id === cursorId);
  const next = at === -1 ? (step > 0 ? 0 : buttons.length - 1) : Math.min(Math.max(at + step, 0), buttons.length - 1);
  focusRow(buttons[next]);
  return true;
}

function writable() {
  return composerConversation() !== null && !composer.disabled && shown(composer);
}

function write(mode) {
  if (!composerConversation()) return false;
  setComposeMode(mode);
  return true;
}

// "/" at the start of an empty box is what opens canned.js's list.
function startCanned() {
  if (!writable()) return false;
  composer.focus();
  if (composer.value === "") {
    composer.value = "/";
    composer.dispatchEvent(new Event("input", { bubbles: true }));
  }
  return true;
}

function focusSearch() {
  if (!shown(search)) document.getElementById("back-button")?.click(); // one pane at a time
  search.focus();
  search.select();
}

export function openShortcutHelp() {
  toggleUserMenu(false);
  if (!help.open) help.showModal();
  document.getElementById("shortcuts-done").focus();
}

function clickMarked(key) {
  const escaped = window.CSS?.escape ? CSS.escape(key) : key;
  for (const element of document.querySelectorAll(`[data-shortcut="${escaped}"]`)) {
    if (shown(element) && !element.disabled && element.getAttribute("aria-disabled") !== "true") {
      element.click();
      return true;
    }
  }
  return false;
}

// The keys with a job of their own here; true when the key was used.
function run(key) {
  if (key === "?") return openShortcutHelp(), true;
  if (key === "j" || key === "ArrowDown") return move(1);
  if (key === "k" || key === "ArrowUp") return move(-1);
  if (key === "r") return write("reply");
  if (key === "n") return write("note");
  if (key === "/") return startCanned();
  if (key === "Enter" && document.activeElement === document.body && cursorId) {
    const row = list.querySelector(`.conversation-item[data-id="${CSS.escape(cursorId)}"] button`);
    if (row) return row.click(), true;
  }
  return key.length === 1 && clickMarked(key);
}

function onKeydown(event) {
  if (event.defaultPrevented || event.isComposing) return;
  const { key } = event;
  if ((event.ctrlKey || event.metaKey) && !event.altKey && key.toLowerCase() === "k") {
    if (dialogOpen()) return;
    event.preventDefault(); // the browser's own Ctrl+K goes to its address bar
    focusSearch();
    return;
  }
  if (key === "Escape") {
    // A modal <dialog> closes itself on Escape; a field lets go of the focus.
    if (!dialogOpen() && typing(event.target)) event.target.blur();
    return;
  }
  if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target) || dialogOpen()) return;
  // The arrows keep their own meaning (scrolling, tabs, radio groups) outside the list.
  const arrow = key === "ArrowDown" || key === "ArrowUp";
  if (arrow && document.activeElement !== document.body && !list.contains(document.activeElement)) return;
  if (run(key)) event.preventDefault(); // the key is not typed into the box it focused
}

// A repaint replaces the rows: put the focus back on the row the agent was on.
function keepFocus() {
  if (!listFocused || cursorId == null) return;
  if (document.activeElement && document.activeElement !== document.body) return;
  const row = list.querySelector(`.conversation-item[data-id="${CSS.escape(cursorId)}"] button`);
  row?.focus({ preventScroll: true });
}

function setup() {
  document.addEventListener("keydown", onKeydown);
  list.addEventListener("focusin", (event) => {
    listFocused = true;
    cursorId = event.target.closest(".conversation-item")?.dataset.id ?? cursorId;
  });
  for (const type of ["focusin", "pointerdown"]) {
    document.addEventListener(type, (event) => {
      if (!list.contains(event.target)) listFocused = false;
    });
  }
  new MutationObserver(keepFocus).observe(list, { childList: true });
  document.getElementById("shortcuts-open")?.addEventListener("click", openShortcutHelp);
  for (const id of ["shortcuts-close", "shortcuts-done"]) {
    document.getElementById(id).addEventListener("click", () => help.close());
  }
  // A click on the backdrop (outside the dialog's box) closes it too.
  help.addEventListener("click", (event) => {
    if (event.target === help) help.close();
  });
}

setup();
