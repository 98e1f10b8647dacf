// The customer phone: who the customer is, the chat bubbles, live updates over SSE, and
// read receipts while the page is visible. Every customer or business text goes through
// textContent: it is untrusted and must never become markup.
import { setupActions } from "./phone-actions.js";
import { choiceNodes, contentNodes } from "./phone-content.js";
import { setupMedia } from "./phone-media.js";

const STRINGS = {
  "es-MX": {
    business: "Negocio",
    initial: "N",
    connecting: "conectando…",
    online: "en línea",
    reconnecting: "reconectando…",
    number: "Tu número",
    name: "Tu nombre",
    chat: "Conversación",
    empty: "Escribe un mensaje para empezar.",
    typing: "escribiendo…",
    placeholder: "Escribe un mensaje",
    message: "Mensaje",
    send: "Enviar",
    toggle: "English",
    sendFailed: "no se pudo enviar",
    badNumber: "número no válido",
    received: "recibido",
    read: "leído",
    delivered: "entregado",
    attach: "Adjuntar",
    cancel: "Cancelar",
    react: "Reaccionar",
    reply: "Responder",
    unreact: "Quitar reacción",
    replyingTo: "Respondiendo a",
    kindLocation: "Ubicación",
    kindContacts: "Contacto",
    kindOrder: "Pedido",
    kindUnsupported: "Mensaje no compatible",
    placeName: "Lugar",
    placeAddress: "Dirección",
    latitude: "Latitud",
    longitude: "Longitud",
    contactName: "Nombre",
    contactPhone: "Teléfono",
    contactEmail: "Correo",
    orderNote: "Nota",
    unsupportedKind: "Qué envía el cliente",
    total: "Total",
    original: "Mensaje",
    kindPhoto: "Foto",
    kindDocument: "Documento",
    record: "Grabar nota de voz",
    stopRecording: "Detener y enviar",
    micFailed: "no hay micrófono",
    media_image: "Foto",
    media_sticker: "Sticker",
    media_audio: "Audio",
    media_voice: "Nota de voz",
    media_video: "Video",
    media_document: "Documento",
  },
  en: {
    business: "Business",
    initial: "B",
    connecting: "connecting…",
    online: "online",
    reconnecting: "reconnecting…",
    number: "Your number",
    name: "Your name",
    chat: "Conversation",
    empty: "Write a message to start.",
    typing: "typing…",
    placeholder: "Type a message",
    message: "Message",
    send: "Send",
    toggle: "Español",
    sendFailed: "could not send",
    badNumber: "invalid number",
    received: "received",
    read: "read",
    delivered: "delivered",
    attach: "Attach",
    cancel: "Cancel",
    react: "React",
    reply: "Reply",
    unreact: "Remove reaction",
    replyingTo: "Replying to",
    kindLocation: "Location",
    kindContacts: "Contact",
    kindOrder: "Order",
    kindUnsupported: "Unsupported message",
    placeName: "Place",
    placeAddress: "Address",
    latitude: "Latitude",
    longitude: "Longitude",
    contactName: "Name",
    contactPhone: "Phone",
    contactEmail: "Email",
    orderNote: "Note",
    unsupportedKind: "What the customer sends",
    total: "Total",
    original: "Message",
    kindPhoto: "Photo",
    kindDocument: "Document",
    record: "Record a voice note",
    stopRecording: "Stop and send",
    micFailed: "no microphone",
    media_image: "Photo",
    media_sticker: "Sticker",
    media_audio: "Audio",
    media_voice: "Voice note",
    media_video: "Video",
    media_document: "Document",
  },
};

const $ = (selector) => document.querySelector(selector);
const phone = $("#phone");
const chat = $("#chat");
const waIdInput = $("#wa-id");
const nameInput = $("#name");
const composer = $("#composer");
const sendButton = $("#send");
const typing = $("#typing");
const statusLine = $("#status");

const state = {
  lang: load("lang") === "en" ? "en" : "es-MX",
  waId: load("waId") || phone.dataset.defaultWaId,
  source: null,
  bubbles: new Map(),
  readTimer: null,
  typingTimer: null,
  // Reactions by the wamid they are on: { in: customer's emoji, out: business's emoji }.
  reactions: new Map(),
  replyTo: null,
};

function load(key) {
  try {
    return localStorage.getItem(`cdmx-phone-${key}`);
  } catch {
    return null; // storage can be disabled; defaults are fine
  }
}

function save(key, value) {
  try {
    localStorage.setItem(`cdmx-phone-${key}`, value);
  } catch {
    // not persisting is acceptable
  }
}

function t(key) {
  return STRINGS[state.lang][key] ?? key;
}

// Same rule as the simulator: digits only, Mexican mobiles as 521 + 10 digits.
function canonicalWaId(value) {
  const digits = value.replace(/\D/g, "");
  return digits.length === 12 && digits.startsWith("52") ? `521${digits.slice(2)}` : digits;
}

function setStatus(key, kind) {
  statusLine.dataset.i18n = key;
  statusLine.dataset.state = kind;
  statusLine.textContent = t(key);
}

function applyLanguage() {
  document.documentElement.lang = state.lang;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll("[data-i18n-placeholder]")) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
  for (const el of document.querySelectorAll("[data-i18n-aria]")) {
    el.setAttribute("aria-label", t(el.dataset.i18nAria));
  }
  const toggle = $("#lang");
  toggle.textContent = t("toggle");
  toggle.lang = state.lang === "en" ? "es-MX" : "en";
  for (const bubble of state.bubbles.values()) renderMeta(bubble);
}

function renderMeta(bubble) {
  const time = new Intl.DateTimeFormat(state.lang, { hour: "2-digit", minute: "2-digit" })
    .format(new Date(Number(bubble.dataset.ts) * 1000));
  const meta = bubble.querySelector(".bubble-meta");
  meta.textContent = `${time} · ${t(bubble.dataset.status)}`;
}

function upsert(message) {
  if (message.type === "reaction") {
    applyReaction(message);
    return null;
  }
  let bubble = state.bubbles.get(message.wamid);
  if (!bubble) {
    bubble = document.createElement("div");
    bubble.className = `bubble ${message.direction === "in" ? "in" : "out"}`;
    bubble.dataset.wamid = message.wamid;
    bubble.dataset.ts = String(message.timestamp);
    bubble.dataset.type = message.type;
    if (message.context_id) bubble.append(quote(message.context_id));
    const text = document.createElement("div");
    text.className = "bubble-text";
    const nodes = contentNodes(message, t, state.lang);
    if (nodes) text.append(...nodes);
    else text.textContent = message.text;
    const meta = document.createElement("div");
    meta.className = "bubble-meta";
    bubble.append(text, meta);
    const choices = choiceNodes(message);
    if (choices) bubble.append(choices);
    insertInOrder(bubble, message.timestamp);
    state.bubbles.set(message.wamid, bubble);
    renderReactions(message.wamid);
    $("#empty").hidden = true;
  }
  bubble.dataset.status = message.status;
  renderMeta(bubble);
  return bubble;
}

function quote(wamid) {
  const box = document.createElement("div");
  box.className = "bubble-quote";
  const original = state.bubbles.get(wamid);
  box.textContent = original?.querySelector(".bubble-text")?.textContent || t("original");
  return box;
}

// The latest reaction of each side wins; an empty emoji removes it.
function applyReaction(message) {
  const reaction = message.content?.reaction;
  if (!reaction?.message_id) return;
  const mine = state.reactions.get(reaction.message_id) || {};
  mine[message.direction] = reaction.emoji || "";
  state.reactions.set(reaction.message_id, mine);
  renderReactions(reaction.message_id);
}

function renderReactions(wamid) {
  const bubble = state.bubbles.get(wamid);
  if (!bubble) return;
  const reactions = state.reactions.get(wamid) || {};
  bubble.querySelector(".bubble-reactions")?.remove();
  if (reactions.in) bubble.dataset.myReaction = reactions.in;
  else delete bubble.dataset.myReaction;
  const emojis = [reactions.out, reactions.in].filter(Boolean);
  if (!emojis.length) return;
  const pill = document.createElement("div");
  pill.className = "bubble-reactions";
  pill.textContent = emojis.join(" ");
  bubble.append(pill);
}

function setReplyTo(wamid) {
  state.replyTo = wamid;
  $("#reply-bar").hidden = !wamid;
  const original = wamid && state.bubbles.get(wamid);
  $("#reply-bar-quote").textContent = original
    ? original.querySelector(".bubble-text").textContent
    : "";
  if (wamid) composer.focus();
}

// Tapping a reply button, a list row or a template's quick reply answers the business
// message it is under.
async function answerChoice(button) {
  const bubble = button.closest(".bubble");
  const quick = button.dataset.replyType === "quick_reply"; // a template's button
  const fields = quick
    ? {
        type: "button",
        payload: button.dataset.replyId,
        text: button.dataset.title,
        reply_to: bubble.dataset.wamid,
      }
    : {
        type: "interactive",
        reply_type: button.dataset.replyType,
        reply_id: button.dataset.replyId,
        title: button.dataset.title,
        reply_to: bubble.dataset.wamid,
      };
  if (button.dataset.description) fields.description = button.dataset.description;
  button.disabled = true;
  try {
    if (await sendMessage(fields)) button.closest(".list-rows")?.setAttribute("hidden", "");
  } finally {
    button.disabled = false;
  }
}

function insertInOrder(bubble, timestamp) {
  // Timestamps are whole seconds; equal ones keep arrival order.
  const later = [...state.bubbles.values()].find((b) => Number(b.dataset.ts) > timestamp);
  chat.insertBefore(bubble, later ?? null);
}

function clearChat() {
  for (const bubble of state.bubbles.values()) bubble.remove();
  state.bubbles.clear();
  state.reactions.clear();
  $("#empty").hidden = false;
}

function scrollToEnd() {
  chat.scrollTop = chat.scrollHeight;
}

// While the customer can see the chat, the replies on it are read (two blue ticks for the
// business). Debounced so a burst of replies costs one request.
function markReadSoon() {
  if (document.visibilityState !== "visible") return;
  const unread = [...state.bubbles.values()].some(
    (b) => b.classList.contains("out") && b.dataset.status === "delivered",
  );
  if (!unread || state.readTimer) return;
  state.readTimer = setTimeout(async () => {
    state.readTimer = null;
    await postJson("/phone/api/read", { wa_id: state.waId }).catch(() => {});
  }, 150);
}

function showTyping(seconds) {
  typing.hidden = false;
  clearTimeout(state.typingTimer);
  state.typingTimer = setTimeout(() => { typing.hidden = true; }, seconds * 1000);
}

function connect() {
  state.source?.close();
  clearChat();
  setStatus("connecting", "connecting");
  const source = new EventSource(`/phone/api/events?wa_id=${encodeURIComponent(state.waId)}`);
  state.source = source;
  source.addEventListener("open", () => setStatus("online", "online"));
  source.addEventListener("error", () => setStatus("reconnecting", "error"));
  source.addEventListener("snapshot", (event) => {
    clearChat();
    for (const message of JSON.parse(event.data).messages) upsert(message);
    scrollToEnd();
    markReadSoon();
  });
  source.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    upsert(message);
    if (message.direction === "out") typing.hidden = true;
    scrollToEnd();
    markReadSoon();
  });
  source.addEventListener("typing", (event) => showTyping(JSON.parse(event.data).seconds));
}

async function postJson(url, body) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.json();
}

// Sends one message of any type; draws it at once (the event stream brings the same
// bubble, keyed by wamid). Returns whether it went out.
async function sendMessage(fields) {
  const body = {
    wa_id: state.waId,
    name: nameInput.value.trim() || phone.dataset.defaultName,
    ...fields,
  };
  if (state.replyTo && fields.type !== "reaction" && !fields.reply_to) {
    body.reply_to = state.replyTo;
  }
  try {
    const result = await postJson("/phone/api/send", body);
    const type = fields.type || "text";
    // Text and reactions are drawn now to keep typing snappy; the other types come back
    // on the event stream a moment later with the fields the simulator filled in.
    if (type === "text" || type === "reaction") {
      upsert({
        wamid: result.wamid,
        direction: "in",
        type,
        text: fields.text ?? "",
        content: type === "reaction"
          ? { reaction: { message_id: fields.message_id, emoji: fields.emoji } }
          : null,
        context_id: body.reply_to ?? null,
        timestamp: Math.floor(Date.now() / 1000),
        status: "received",
      });
    }
    if (type !== "reaction") setReplyTo(null);
    scrollToEnd();
    if (statusLine.dataset.state === "error" && state.source?.readyState === EventSource.OPEN) {
      setStatus("online", "online");
    }
    return true;
  } catch {
    setStatus("sendFailed", "error");
    return false;
  }
}

// Sends a file (photo, document or recorded voice note); the event stream draws it.
async function sendFile(file, { voice = false, filename = null } = {}) {
  const form = new FormData();
  form.append("wa_id", state.waId);
  form.append("name", nameInput.value.trim() || phone.dataset.defaultName);
  form.append("file", file, filename || file.name || "archivo");
  if (voice) form.append("voice", "true");
  try {
    const response = await fetch("/phone/api/media", { method: "POST", body: form });
    if (!response.ok) throw new Error(`/phone/api/media answered ${response.status}`);
    await response.json();
    setReplyTo(null);
    return true;
  } catch {
    setStatus("sendFailed", "error");
    return false;
  }
}

async function send() {
  const text = composer.value;
  if (!text.trim()) return;
  sendButton.disabled = true;
  try {
    if (await sendMessage({ text })) composer.value = "";
  } finally {
    sendButton.disabled = false;
    composer.focus();
  }
}

function changeNumber() {
  const waId = canonicalWaId(waIdInput.value);
  const valid = waId.length >= 8 && waId.length <= 15;
  waIdInput.setAttribute("aria-invalid", String(!valid));
  if (!valid) {
    setStatus("badNumber", "error");
    return;
  }
  waIdInput.value = waId;
  if (waId === state.waId && state.source) return;
  state.waId = waId;
  save("waId", waId);
  connect();
}

function start() {
  waIdInput.value = state.waId;
  nameInput.value = load("name") || phone.dataset.defaultName;
  applyLanguage();

  $("#lang").addEventListener("click", () => {
    state.lang = state.lang === "en" ? "es-MX" : "en";
    save("lang", state.lang);
    applyLanguage();
  });
  $("#identity").addEventListener("submit", (event) => {
    event.preventDefault();
    changeNumber();
  });
  waIdInput.addEventListener("change", changeNumber);
  nameInput.addEventListener("change", () => save("name", nameInput.value.trim()));
  $("#compose").addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
  composer.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  });
  $("#reply-cancel").addEventListener("click", () => setReplyTo(null));
  chat.addEventListener("click", (event) => {
    const button = event.target.closest(".choice-button, .list-row");
    if (button) answerChoice(button);
  });
  setupActions({ send: sendMessage, onReply: setReplyTo });
  setupMedia({ send: sendFile, t, setStatus });
  document.addEventListener("visibilitychange", markReadSoon);
  window.addEventListener("focus", markReadSoon);

  connect();
}

start();
