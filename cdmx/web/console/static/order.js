// The inbox's order and label filter, in every view and for every role: "Recientes", "No
// leídas primero" or "Espera más larga" (the customer waiting longest for an answer on top,
// each row saying how long), and one label. Both are remembered in this browser and go to
// the server with each list (GET /api/v1/conversations?order=&label_id=); store.js keeps
// the same order as events move rows.
import { api } from "./api.js";
import { element } from "./dom.js";
import { t } from "./i18n.js";
import { emit, state } from "./store.js";

const ORDER_KEY = "cdmx.console.order";
const LABEL_KEY = "cdmx.console.label";
const ORDERS = ["recent", "unread", "waiting"];

const orderSelect = document.getElementById("inbox-order");
const labelSelect = document.getElementById("inbox-label");

export function orderParams() {
  const params = new URLSearchParams();
  if (state.order !== "recent") params.set("order", state.order);
  if (state.labelId != null) params.set("label_id", String(state.labelId));
  const text = params.toString();
  return text ? `&${text}` : "";
}

// "espera 12 min" for a row of the "Espera más larga" order; "" otherwise.
export function waitingText(conversation, now = Date.now()) {
  if (state.order !== "waiting" || !conversation.waiting_since) return "";
  const minutes = Math.max(0, Math.floor((now - Date.parse(conversation.waiting_since)) / 60_000));
  if (minutes < 60) return t("waiting_minutes", { minutes });
  const hours = Math.floor(minutes / 60);
  return t("waiting_hours", { hours, minutes: minutes % 60 });
}

async function loadLabels() {
  try {
    const data = await api.get("/api/v1/labels");
    const labels = data.labels || [];
    const options = labels.map((label) => {
      const option = element("option", null, label.name);
      option.value = String(label.id);
      return option;
    });
    const any = element("option", null, t("filter_label_any"));
    any.value = "";
    labelSelect.replaceChildren(any, ...options);
    labelSelect.hidden = labels.length === 0;
    if (state.labelId != null && !labels.some((label) => label.id === state.labelId)) {
      state.labelId = null;
    }
    labelSelect.value = state.labelId == null ? "" : String(state.labelId);
  } catch {
    labelSelect.hidden = true;
  }
}

function remember() {
  localStorage.setItem(ORDER_KEY, state.order);
  if (state.labelId == null) localStorage.removeItem(LABEL_KEY);
  else localStorage.setItem(LABEL_KEY, String(state.labelId));
}

// A saved view's order and label, shown in the selects (the caller reads the list again).
export function applyOrder(order, labelId) {
  state.order = ORDERS.includes(order) ? order : "recent";
  state.labelId = labelId ?? null;
  remember();
  if (!orderSelect) return;
  orderSelect.value = state.order;
  labelSelect.value = state.labelId == null ? "" : String(state.labelId);
}

export function setupOrder({ onChange }) {
  if (!orderSelect) return;
  const savedOrder = localStorage.getItem(ORDER_KEY);
  if (ORDERS.includes(savedOrder)) state.order = savedOrder;
  const savedLabel = Number(localStorage.getItem(LABEL_KEY));
  if (savedLabel > 0) state.labelId = savedLabel;
  orderSelect.value = state.order;
  orderSelect.addEventListener("change", () => {
    state.order = ORDERS.includes(orderSelect.value) ? orderSelect.value : "recent";
    remember();
    emit("conversations");
    onChange();
  });
  labelSelect.addEventListener("change", () => {
    state.labelId = labelSelect.value ? Number(labelSelect.value) : null;
    remember();
    emit("conversations");
    onChange();
  });
  loadLabels();
}
