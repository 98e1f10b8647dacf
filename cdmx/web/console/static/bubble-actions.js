// Actions on a bubble — Responder and Reaccionar — shown on hover or focus, and on a long
// press on touch screens. Only messages WhatsApp knows (a wamid) can be quoted or reacted to,
// and only while the agent may write (the thread gets .can-act from the composer's lock).
import { element } from "./dom.js";
import { t } from "./i18n.js";
import { on } from "./store.js";

const thread = document.getElementById("thread");
const LONG_PRESS_MS = 450;

const ACTIONABLE = new Set([
  "text", "image", "video", "audio", "document", "sticker", "location", "contacts",
  "interactive", "button", "order", "template",
]);  // prettier-ignore

export function canAct(message) {
  return message.id != null && Boolean(message.wamid) && ACTIONABLE.has(message.type);
}

function actionButton(action, symbol, label) {
  const button = element("button", "message-action");
  button.type = "button";
  button.dataset.action = action;
  button.title = label;
  button.setAttribute("aria-label", label);
  button.append(element("span", null, symbol));
  return button;
}

export function actionsNode() {
  const bar = element("div", "message-actions");
  bar.append(actionButton("reply", "↩", t("action_reply")), actionButton("react", "☺", t("action_react")));
  return bar;
}

function showOnly(node) {
  for (const shown of thread.querySelectorAll(".message.show-actions")) {
    if (shown !== node) shown.classList.remove("show-actions");
  }
  if (node) node.classList.add("show-actions");
}

export function setupBubbleActions({ find, onReply, onReact }) {
  on("composer", ({ lock }) => thread.classList.toggle("can-act", lock === ""));
  thread.addEventListener("click", (event) => {
    const button = event.target.closest(".message-action");
    if (!button) return;
    const node = button.closest(".message");
    const message = node && find(Number(node.dataset.id));
    if (!message) return;
    showOnly(null);
    if (button.dataset.action === "reply") onReply(message);
    else onReact(message, button);
  });
  let timer = 0;
  thread.addEventListener("pointerdown", (event) => {
    if (event.pointerType !== "touch") return;
    const node = event.target.closest(".message");
    clearTimeout(timer);
    if (!node || !node.querySelector(".message-actions")) return;
    timer = setTimeout(() => showOnly(node), LONG_PRESS_MS);
  });
  for (const type of ["pointerup", "pointercancel", "pointermove"]) {
    thread.addEventListener(type, () => clearTimeout(timer));
  }
  document.addEventListener("pointerdown", (event) => {
    if (!event.target.closest(".message.show-actions")) showOnly(null);
  });
}
