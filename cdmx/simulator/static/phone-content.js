// What a bubble on the customer's phone shows for each message type. Every value is
// untrusted text: it goes through textContent, never markup.

function line(className, text) {
  const node = document.createElement("div");
  node.className = className;
  node.textContent = text;
  return node;
}

function location(body) {
  const place = body.name || body.address;
  const nodes = [line("bubble-title", `📍 ${place || `${body.latitude}, ${body.longitude}`}`)];
  if (body.name && body.address) nodes.push(line("bubble-sub", body.address));
  nodes.push(line("bubble-sub", `${body.latitude}, ${body.longitude}`));
  return nodes;
}

function contacts(cards) {
  return cards.flatMap((card) => [
    line("bubble-title", `👤 ${card.name?.formatted_name ?? ""}`),
    ...(card.phones ?? []).map((phone) => line("bubble-sub", phone.phone)),
    ...(card.emails ?? []).map((email) => line("bubble-sub", email.email)),
  ]);
}

function order(body, t, lang) {
  const items = body.product_items ?? [];
  const money = (value, currency) => {
    try {
      return new Intl.NumberFormat(lang, { style: "currency", currency }).format(value);
    } catch {
      return `${value} ${currency}`;
    }
  };
  const total = items.reduce((sum, item) => sum + item.quantity * item.item_price, 0);
  return [
    line("bubble-title", `🛒 ${t("kindOrder")}`),
    ...items.map((item) =>
      line("bubble-sub", `${item.quantity} × ${item.product_retailer_id} · ${money(item.item_price, item.currency)}`),
    ),
    line("bubble-sub total", `${t("total")}: ${money(total, items[0]?.currency || "MXN")}`),
    ...(body.text ? [line("bubble-sub", body.text)] : []),
  ];
}

const MEDIA = new Set(["image", "sticker", "audio", "video", "document"]);

// A file the chat holds (the customer's own or one the business sent), by its media id.
// Files sent by link are not fetched: the phone makes no requests outside the simulator.
function media(kind, body, t) {
  const url = body.id ? `/phone/api/media/${encodeURIComponent(body.id)}` : null;
  const nodes = [];
  if (!url) {
    nodes.push(line("bubble-title muted", `📎 ${t(`media_${kind}`)}`));
  } else if (kind === "image" || kind === "sticker") {
    const img = document.createElement("img");
    img.className = `bubble-media ${kind}`;
    img.src = url;
    img.alt = body.caption || t(`media_${kind}`);
    nodes.push(img);
  } else if (kind === "audio" || kind === "video") {
    const player = document.createElement(kind);
    player.className = `bubble-media ${kind}`;
    player.controls = true;
    player.preload = "metadata";
    player.src = url;
    if (kind === "audio" && body.voice) nodes.push(line("bubble-sub", `🎤 ${t("media_voice")}`));
    nodes.push(player);
  } else {
    const link = document.createElement("a");
    link.className = "bubble-document";
    link.href = url;
    link.download = body.filename || "documento";
    link.textContent = `📄 ${body.filename || t("media_document")}`;
    nodes.push(link);
  }
  if (body.caption) nodes.push(line("bubble-sub caption", body.caption));
  return nodes;
}

// A business's interactive message: header, body and footer (the choices come after).
function interactive(body) {
  const header = body.header?.type === "text" ? body.header.text : null;
  return [
    ...(header ? [line("bubble-title", header)] : []),
    line("bubble-body", body.body?.text ?? ""),
    ...(body.footer?.text ? [line("bubble-sub", body.footer.text)] : []),
  ];
}

function choice(className, reply, replyType, extra = null) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = className;
  button.dataset.replyType = replyType;
  button.dataset.replyId = String(reply.id ?? "");
  button.dataset.title = String(reply.title ?? "");
  if (extra) button.dataset.description = extra;
  button.append(line("choice-title", String(reply.title ?? "")));
  if (extra) button.append(line("bubble-sub", extra));
  return button;
}

// What the customer can tap under a business's interactive message: its reply buttons,
// or a button that opens the list's rows; under a template, its quick-reply buttons. Null
// for anything else.
export function choiceNodes(message) {
  if (message.direction !== "out") return null;
  const replies = message.content?.template?.quick_replies;
  if (message.type === "template" && replies?.length) return quickReplies(replies);
  const body = message.content?.interactive;
  if (message.type !== "interactive" || !body) return null;
  const box = document.createElement("div");
  box.className = "bubble-choices";
  if (body.type === "button") {
    for (const button of body.action?.buttons ?? []) {
      if (button?.reply) box.append(choice("choice-button", button.reply, "button_reply"));
    }
  } else if (body.type === "list") {
    const open = document.createElement("button");
    open.type = "button";
    open.className = "list-open";
    open.textContent = `☰ ${body.action?.button ?? ""}`;
    open.setAttribute("aria-expanded", "false");
    const rows = document.createElement("div");
    rows.className = "list-rows";
    rows.hidden = true;
    for (const section of body.action?.sections ?? []) {
      if (section?.title) rows.append(line("list-section", section.title));
      for (const row of section?.rows ?? []) {
        if (row) rows.append(choice("list-row", row, "list_reply", row.description || null));
      }
    }
    open.addEventListener("click", () => {
      rows.hidden = !rows.hidden;
      open.setAttribute("aria-expanded", String(!rows.hidden));
    });
    box.append(open, rows);
  } else {
    return null;
  }
  return box;
}

// Nodes for a message's content, or null when plain text is all there is to show.
export function contentNodes(message, t, lang) {
  const content = message.content || {};
  if (MEDIA.has(message.type) && content[message.type]) {
    return media(message.type, content[message.type], t);
  }
  if (message.type === "location" && content.location) return location(content.location);
  if (message.type === "contacts" && content.contacts) return contacts(content.contacts);
  if (message.type === "order" && content.order) return order(content.order, t, lang);
  if (message.type === "interactive" && message.direction === "out" && content.interactive) {
    return interactive(content.interactive);
  }
  if (message.type === "unsupported") {
    return [line("bubble-title muted", `⚠️ ${t("kindUnsupported")} (${message.text})`)];
  }
  return null;
}

// A template's quick-reply buttons: a tap sends Meta's `button` message with its payload.
function quickReplies(replies) {
  const box = document.createElement("div");
  box.className = "bubble-choices";
  for (const reply of replies) {
    const button = choice("choice-button", { id: reply.payload, title: reply.text }, "quick_reply");
    box.append(button);
  }
  return box;
}
