// @mentions: when a colleague names me in a note, a notice with a button that opens that
// conversation, and a "cdmx:notify" for the notifications module. Supervisors receive every
// event, so the mention's user_id is compared with mine.
import { t } from "./i18n.js";
import { state } from "./store.js";

const NOTICE_MS = 8000;
let timer = null;

function notice(text, onOpen) {
  let box = document.getElementById("mention-notice");
  if (!box) {
    box = document.createElement("div");
    box.id = "mention-notice";
    box.className = "toast mention-notice";
    box.setAttribute("role", "status");
    document.body.append(box);
  }
  const label = document.createElement("span");
  label.textContent = text;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "button";
  button.textContent = t("mention_open");
  button.addEventListener("click", () => {
    box.hidden = true;
    onOpen();
  });
  box.replaceChildren(label, " ", button);
  box.hidden = false;
  clearTimeout(timer);
  timer = setTimeout(() => (box.hidden = true), NOTICE_MS);
}

export function setupMentions({ onOpen }) {
  document.addEventListener("cdmx:event", (event) => {
    const { type, data } = event.detail || {};
    if (type !== "mention.created" || !data || !data.mention) return;
    if (data.mention.user_id !== state.user.id) return;
    const author = (data.mention.author && data.mention.author.name) || "";
    const contact = (data.conversation && data.conversation.contact && data.conversation.contact.name) || "";
    const title = t("mention_toast", { author, contact });
    const conversationId = data.mention.conversation_id;
    notice(title, () => onOpen(conversationId));
    document.dispatchEvent(
      new CustomEvent("cdmx:notify", {
        detail: { kind: "mention", conversationId, title, body: data.mention.excerpt },
      }),
    );
  });
}
