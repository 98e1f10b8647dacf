// The customer phone: who the customer is, the chat bubbles, live updates over SSE, and
// read receipts while the page is visible. Every customer or business text goes through
// textContent: it is untrusted and must never become markup.

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
  let bubble = state.bubbles.get(message.wamid);
  if (!bubble) {
    bubble = document.createElement("div");
    bubble.className = `bubble ${message.direction === "in" ? "in" : "out"}`;
    bubble.dataset.wamid = message.wamid;
    bubble.dataset.ts = String(message.timestamp);
    const text = document.createElement("div");
    text.className = "bubble-text";
    text.textContent = message.text;
    const meta = document.createElement("div");
    meta.className = "bubble-meta";
    bubble.append(text, meta);
    insertInOrder(bubble, message.timestamp);
    state.bubbles.set(message.wamid, bubble);
    $("#empty").hidden = true;
  }
  bubble.dataset.status = message.status;
  renderMeta(bubble);
  return bubble;
}

function insertInOrder(bubble, timestamp) {
  // Timestamps are whole seconds; equal ones keep arrival order.
  const later = [...state.bubbles.values()].find((b) => Number(b.dataset.ts) > timestamp);
  chat.insertBefore(bubble, later ?? null);
}

function clearChat() {
  for (const bubble of state.bubbles.values()) bubble.remove();
  state.bubbles.clear();
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

async function send() {
  const text = composer.value;
  if (!text.trim()) return;
  sendButton.disabled = true;
  try {
    const result = await postJson("/phone/api/send", {
      wa_id: state.waId,
      name: nameInput.value.trim() || phone.dataset.defaultName,
      text,
    });
    // The event stream brings the same bubble; drawing it now keeps typing snappy.
    upsert({
      wamid: result.wamid,
      direction: "in",
      text,
      timestamp: Math.floor(Date.now() / 1000),
      status: "received",
    });
    composer.value = "";
    scrollToEnd();
    if (statusLine.dataset.state === "error" && state.source?.readyState === EventSource.OPEN) {
      setStatus("online", "online");
    }
  } catch {
    setStatus("sendFailed", "error");
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
  document.addEventListener("visibilitychange", markReadSoon);
  window.addEventListener("focus", markReadSoon);

  connect();
}

start();
