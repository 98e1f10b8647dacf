// What goes inside a bubble, per message type, from the message's `content` (see
// docs/messages.md). Media are placeholders until the media pipeline fills `media`
// (media.js draws them then).
import { element } from "./dom.js";
import { t } from "./i18n.js";
import { contactCards, locationCard, orderCard } from "./cards.js";
import { linkifiedText } from "./links.js";
import { mediaNodes } from "./media.js";

const MEDIA_ICONS = { image: "📷", video: "🎥", audio: "🎵", voice: "🎤", document: "📄", sticker: "🩷" };

function textBlock(text, className = "message-text") {
  const paragraph = element("p", className);
  paragraph.append(linkifiedText(text));
  return paragraph;
}

function mediaKind(message, content) {
  if (message.type === "audio" && content.voice) return "voice";
  return message.type;
}

function mediaPlaceholder(message, content) {
  const kind = mediaKind(message, content);
  const drawn = mediaNodes(kind, message, content);
  if (drawn) return content.caption ? [...drawn, textBlock(content.caption)] : drawn;
  const box = element("div", `media-placeholder media-${kind}`);
  box.append(element("span", "media-icon", MEDIA_ICONS[kind] || "📎"));
  const label = element("span", "media-label");
  label.append(element("strong", null, t(`media_${kind}`)));
  if (kind === "sticker" && content.animated) label.append(element("span", "muted", t("media_animated")));
  if (content.filename) label.append(element("span", "media-filename", content.filename));
  else if (content.mime_type && kind === "document") label.append(element("span", "muted", content.mime_type));
  box.append(label);
  const nodes = [box];
  if (content.caption) nodes.push(textBlock(content.caption));
  return nodes;
}

// What the agent sent: the body, then the buttons or the list's button as chips.
function interactiveSent(message, content) {
  const text = message.text || content.body || "";
  const nodes = [textBlock(text)];
  const options = /\[(.*)\]$/.exec(message.summary || "");
  if (options) {
    const row = element("div", "sent-options");
    for (const title of options[1].split(" / ")) row.append(element("span", "sent-option", title));
    nodes.push(row);
  }
  return nodes;
}

function interactiveReply(content) {
  if (content.kind === "nfm_reply") {
    const nodes = [element("p", "message-choice", t("flow_answered"))];
    if (content.body) nodes.push(element("p", "message-text muted", content.body));
    const fields = Object.entries(content.response || {}).filter(([key]) => key !== "flow_token");
    if (fields.length) {
      const list = element("dl", "flow-fields");
      for (const [key, value] of fields) {
        list.append(
          element("dt", null, key),
          element("dd", null, typeof value === "string" ? value : JSON.stringify(value)),
        );
      }
      nodes.push(list);
    }
    return nodes;
  }
  const nodes = [element("p", "message-choice", t("interactive_chose", { title: content.title || content.id || "?" }))];
  if (content.description) nodes.push(element("p", "message-text muted", content.description));
  return nodes;
}

function unsupported(message, content) {
  const reported = content.reported_type || (message.type !== "unsupported" ? message.type : "");
  const title = content.error_title;
  let text = t("message_unsupported");
  if (reported && title) text = t("message_unsupported_detail", { type: reported, title });
  else if (reported || title) text = t("message_unsupported_one", { detail: reported || title });
  const paragraph = element("p", "message-text unsupported", text);
  paragraph.title = t("message_unsupported_hint");
  return [paragraph];
}

// A reaction, edit or deletion whose message is not loaded: said in words instead.
function orphan(message, content) {
  if (message.type === "reaction") {
    return [element("p", "message-text muted", content.emoji
      ? t("reaction_orphan", { emoji: content.emoji })
      : t("reaction_removed_orphan"))];
  }
  if (message.type === "revoke") return [element("p", "message-text revoked", t("revoke_orphan"))];
  const inner = { ...message, type: content.type || "text", content: content.content || {}, text: null };
  return [element("p", "message-summary", t("edit_orphan")), ...contentNodes(inner)];
}

// The nodes for a message's content (`override` is an edit's new content).
export function contentNodes(message, override) {
  const content = override || message.content || {};
  switch (message.type) {
    case "text":
      return [textBlock(content.body ?? message.text ?? "")];
    case "image":
    case "video":
    case "audio":
    case "document":
    case "sticker":
      return mediaPlaceholder(message, content);
    case "location":
      return [locationCard(content)];
    case "contacts":
      return contactCards(content);
    case "order":
      return [orderCard(content)];
    case "interactive":
      if (message.direction === "outbound") return interactiveSent(message, content);
      return interactiveReply(content);
    case "template":
      return [element("p", "message-summary muted", `📝 ${t("template_sent")}`), textBlock(message.text || message.summary || "")];
    case "button":
      return [element("p", "message-choice", t("button_tapped", { text: content.text || content.payload || "?" }))];
    case "reaction":
    case "edit":
    case "revoke":
      return orphan(message, content);
    case "unsupported":
    case "unknown":
      return unsupported(message, content);
    default:
      if (message.text) return [textBlock(message.text)];
      return unsupported(message, content);
  }
}

// A system message as one sentence (a number change names the new number).
export function systemText(message) {
  const content = message.content || {};
  if (content.new_wa_id && (content.kind === "user_changed_number" || content.kind === "customer_changed_number")) {
    return t("system_number_changed", { number: `+${content.new_wa_id}` });
  }
  return content.body || message.summary || t("system_message");
}
