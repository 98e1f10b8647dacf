// "@" in an internal note offers the team: typing "@be" lists the colleagues whose name (or
// a word of it) starts so, accents and case ignored; ArrowUp and ArrowDown move, Enter or Tab
// puts "@Beto Ruiz " in the note, Escape closes. The server finds the mention in the text
// (actions/mentions.py), so what is chosen here is only a faster way to type the name. An
// "@" inside a word (an e-mail address) offers nothing. Notes show each "@Name" of a
// colleague marked (mentionedText).
import { element } from "./dom.js";
import { t } from "./i18n.js";
import { state } from "./store.js";

const SHOWN_MAX = 8;
const QUERY_MAX = 40;

const popup = document.getElementById("mention-popup");
const list = document.getElementById("mention-list");

let textarea = null;
let isNote = () => false;
let start = -1; // where the "@" is while the list is open; -1 when closed
let matches = [];
let active = -1;
let dismissedAt = -1; // Escape (or a choice) keeps this "@" quiet

function fold(text) {
  return String(text).normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
}

// The "@" being typed at the caret and what follows it, or null.
function typedMention() {
  if (!isNote() || textarea.selectionStart !== textarea.selectionEnd) return null;
  const before = textarea.value.slice(0, textarea.selectionStart);
  const at = before.lastIndexOf("@");
  if (at < 0 || (at > 0 && !/\s/.test(before[at - 1]))) return null;
  const typed = before.slice(at + 1);
  if (typed.length > QUERY_MAX || /\n|\s\s/.test(typed)) return null;
  return { at, typed };
}

function colleagues(typed) {
  const wanted = fold(typed);
  return [...state.agents.values()]
    .filter((person) => person.id !== state.user.id)
    .filter((person) => {
      const name = fold(person.name);
      return name.startsWith(wanted) || name.split(/\s+/).some((word) => word.startsWith(wanted));
    })
    .sort((a, b) => a.name.localeCompare(b.name))
    .slice(0, SHOWN_MAX);
}

function close() {
  start = -1;
  matches = [];
  active = -1;
  if (!popup) return;
  popup.hidden = true;
  textarea.removeAttribute("aria-activedescendant");
  textarea.setAttribute("aria-controls", "canned-list");
}

function render() {
  list.replaceChildren(
    ...matches.map((person, index) => {
      const node = element("li", "canned-option mention-option");
      node.id = `mention-option-${person.id}`;
      node.setAttribute("role", "option");
      node.dataset.index = String(index);
      node.setAttribute("aria-selected", String(index === active));
      node.append(element("span", "canned-option-shortcut", `@${person.name}`));
      node.append(element("span", "visually-hidden", ", "));
      node.append(element("span", "canned-option-scope", t(`role_${person.role}`)));
      return node;
    }),
  );
  textarea.setAttribute("aria-activedescendant", `mention-option-${matches[active].id}`);
}

function choose(index) {
  const person = matches[index];
  if (!person || start < 0) return;
  const caret = textarea.selectionStart;
  const inserted = `@${person.name} `;
  textarea.value = textarea.value.slice(0, start) + inserted + textarea.value.slice(caret);
  const after = start + inserted.length;
  textarea.setSelectionRange(after, after);
  dismissedAt = start;
  close();
  textarea.dispatchEvent(new Event("input", { bubbles: true })); // the draft and the button
}

// After every change of the note's text (and caret moves): open, narrow or close the list.
export function mentionInput() {
  if (!popup) return;
  const found = typedMention();
  if (!found || found.at === dismissedAt) {
    if (!found || found.at !== dismissedAt) dismissedAt = -1;
    close();
    return;
  }
  matches = colleagues(found.typed);
  if (matches.length === 0) {
    close();
    return;
  }
  start = found.at;
  active = Math.min(Math.max(active, 0), matches.length - 1);
  popup.hidden = false;
  textarea.setAttribute("aria-controls", "mention-list");
  render();
}

// The composer asks first: true when the key was the list's.
export function mentionKeydown(event) {
  if (start < 0 || event.isComposing) return false;
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    const count = matches.length;
    active = event.key === "ArrowDown" ? (active + 1) % count : (active - 1 + count) % count;
    render();
    return true;
  }
  if ((event.key === "Enter" || event.key === "Tab") && !event.shiftKey) {
    event.preventDefault();
    choose(active);
    return true;
  }
  if (event.key === "Escape") {
    event.preventDefault();
    dismissedAt = start;
    close();
    return true;
  }
  return false;
}

// A note's text with each "@Name" of a colleague (full name or first name) marked.
export function mentionedText(text, linkify) {
  const names = [...state.agents.values()]
    .flatMap((person) => [person.name, person.name.split(/\s+/)[0]])
    .filter(Boolean)
    .sort((a, b) => b.length - a.length)
    .map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const fragment = document.createDocumentFragment();
  if (names.length === 0 || !text.includes("@")) {
    fragment.append(linkify(text));
    return fragment;
  }
  const pattern = new RegExp(`(^|\\s)@(${names.join("|")})(?![\\p{L}\\p{N}])`, "giu");
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    const at = match.index + match[1].length;
    fragment.append(linkify(text.slice(last, at)));
    fragment.append(element("span", "mention", `@${match[2]}`));
    last = at + 1 + match[2].length;
  }
  fragment.append(linkify(text.slice(last)));
  return fragment;
}

export function setupMentionPicker({ input, note }) {
  textarea = input;
  isNote = note;
  if (!popup) return;
  popup.addEventListener("mousedown", (event) => event.preventDefault());
  list.addEventListener("click", (event) => {
    const node = event.target.closest("[role=option]");
    if (node) choose(Number(node.dataset.index));
  });
  textarea.addEventListener("blur", close);
  textarea.addEventListener("click", mentionInput);
}
