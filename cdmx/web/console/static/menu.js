// The composer's "+" menu: Archivo, Ubicación, Contacto, Botones, Lista, Plantilla. With the
// 24-hour window closed only Plantilla stays available; when the agent may not write at all,
// the menu is disabled.
import { pickFile } from "./attach.js";
import { openContactForm, openLocationForm } from "./forms.js";
import { openButtonsForm, openListForm } from "./interactive.js";
import { on } from "./store.js";
import { openConversationTemplate } from "./templates.js";

const plus = document.getElementById("composer-plus");
const menu = document.getElementById("composer-menu");

let conversation = null;
let lock = "none";

const OPEN = {
  file: () => pickFile(),
  location: openLocationForm,
  contacts: openContactForm,
  buttons: openButtonsForm,
  list: openListForm,
  template: openConversationTemplate,
};

function toggle(show) {
  menu.hidden = !show;
  plus.setAttribute("aria-expanded", String(show));
  if (show) menu.querySelector("button:not(:disabled)")?.focus();
}

export function openTemplateForCurrent() {
  if (conversation) openConversationTemplate(conversation);
}

export function setupMenu() {
  on("composer", (detail) => {
    conversation = detail.conversation;
    lock = detail.lock;
    plus.disabled = !conversation || (lock !== "" && lock !== "window");
    for (const item of menu.querySelectorAll("[data-kind]")) {
      item.disabled = lock === "window" && item.dataset.kind !== "template";
    }
    if (plus.disabled) toggle(false);
  });
  plus.addEventListener("click", () => toggle(menu.hidden));
  menu.addEventListener("click", (event) => {
    const item = event.target.closest("[data-kind]");
    if (!item || item.disabled || !conversation) return;
    toggle(false);
    OPEN[item.dataset.kind](conversation);
  });
  document.addEventListener("pointerdown", (event) => {
    if (!menu.hidden && !menu.contains(event.target) && !plus.contains(event.target)) toggle(false);
  });
  menu.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      toggle(false);
      plus.focus();
    }
  });
}
