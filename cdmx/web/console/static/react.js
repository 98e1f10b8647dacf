// The reaction picker: six emojis and "remove", for one message. A reaction is sent as a
// message of its own; annotations.js draws it on the bubble it reacts to.
import { element } from "./dom.js";
import { t } from "./i18n.js";
import { sendForm } from "./outgoing.js";
import { toast } from "./toast.js";

export const EMOJIS = ["👍", "❤️", "😂", "😮", "😢", "🙏"];

let picker = null;
let target = null;

function close() {
  if (picker) picker.hidden = true;
  target = null;
}

async function react(emoji) {
  const message = target;
  close();
  if (!message) return;
  try {
    await sendForm(message.conversation_id, { type: "reaction", message_id: message.id, emoji });
  } catch (error) {
    toast(t("send_error", { error: error.message }), { error: true });
  }
}

function build() {
  picker = element("div", "reaction-picker");
  picker.id = "reaction-picker";
  picker.setAttribute("role", "menu");
  picker.hidden = true;
  for (const emoji of EMOJIS) {
    const button = element("button", "reaction-choice", emoji);
    button.type = "button";
    button.dataset.emoji = emoji;
    button.setAttribute("role", "menuitem");
    button.addEventListener("click", () => react(emoji));
    picker.append(button);
  }
  const remove = element("button", "reaction-remove", t("reaction_remove"));
  remove.type = "button";
  remove.dataset.action = "unreact";
  remove.setAttribute("role", "menuitem");
  remove.addEventListener("click", () => react(""));
  picker.append(remove);
  document.body.append(picker);
  document.addEventListener("pointerdown", (event) => {
    if (!picker.hidden && !picker.contains(event.target) && !event.target.closest(".message-action")) close();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") close();
  });
}

// mine: the agent's current emoji on that message, marked in the picker.
export function openReactionPicker(message, anchor, mine) {
  if (!picker) build();
  target = message;
  for (const button of picker.querySelectorAll(".reaction-choice")) {
    button.classList.toggle("selected", button.dataset.emoji === mine);
  }
  picker.querySelector(".reaction-remove").disabled = !mine;
  picker.hidden = false;
  const box = anchor.getBoundingClientRect();
  const width = picker.offsetWidth;
  const left = Math.max(8, Math.min(box.left + box.width / 2 - width / 2, window.innerWidth - width - 8));
  const above = box.top - picker.offsetHeight - 6;
  picker.style.left = `${left}px`;
  picker.style.top = `${above > 8 ? above : box.bottom + 6}px`;
  picker.querySelector(".reaction-choice").focus();
}
