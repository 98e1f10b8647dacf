// Reply context: the quoted mini-bubble above a reply (a click scrolls to the original)
// and the "forwarded" labels.
import { element } from "./dom.js";
import { t } from "./i18n.js";

function quotedText(original, notes) {
  if (notes.revoked.has(original.wamid)) return t("revoked");
  const edit = notes.edits.get(original.wamid);
  const content = edit ? edit.content.content || {} : original.content || {};
  return content.body || content.caption || original.text || original.summary || "";
}

// One line for any message: its text, caption or summary.
export function quotedSummary(message) {
  const content = message.content || {};
  return content.body || content.caption || message.text || message.summary || "";
}

export function quoteNode(replyTo, notes, author, onJump) {
  const original = notes.byWamid.get(replyTo);
  if (!original) {
    const missing = element("div", "quote missing");
    missing.append(element("span", "quote-text", t("quote_unavailable")));
    return missing;
  }
  const quote = element("button", `quote ${original.direction}`);
  quote.type = "button";
  quote.dataset.replyTo = replyTo;
  quote.title = t("quote_jump");
  quote.append(element("span", "quote-author", author(original)), element("span", "quote-text", quotedText(original, notes)));
  quote.addEventListener("click", () => onJump(replyTo));
  return quote;
}

export function forwardedNode(context) {
  if (!context || !(context.forwarded || context.frequently_forwarded)) return null;
  const label = context.frequently_forwarded ? t("forwarded_many") : t("forwarded");
  return element("p", `forwarded${context.frequently_forwarded ? " many" : ""}`, `↪ ${label}`);
}
