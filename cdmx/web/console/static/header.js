// The open conversation's header: who, which number, status, assignee, the 24-hour
// window, the satisfaction survey's score, and the actions Tomar / Transferir (transfer.js) / Posponer (snooze.js) /
// Reactivar / Cerrar.
import { renderHeaderLabels } from "./labels.js";
import { api } from "./api.js";
import { t } from "./i18n.js";
import { isMine, isSupervisor, putConversation, state } from "./store.js";
import { displayPhone, formatDuration, formatFull, msUntil } from "./format.js";
import { avatarFor, contactLabel } from "./inbox.js";
import { toast } from "./toast.js";
import { openSnooze, setupSnooze } from "./snooze.js";
import { openTransfer, setupTransfer } from "./transfer.js";

const $ = (id) => document.getElementById(id);
const name = $("conversation-name");
const waId = $("conversation-wa-id");
const number = $("conversation-number");
const avatar = $("conversation-avatar");
const status = $("conversation-status");
const assignee = $("conversation-assignee");
const takeButton = $("take-button");
const closeButton = $("close-button");
const transferButton = $("transfer-button");
const snoozeButton = $("snooze-button");
const unsnoozeButton = $("unsnooze-button");
const windowStatus = $("window-status");
const csat = $("conversation-csat");

let current = null;

async function act(button, path, body) {
  const id = current.id;
  button.disabled = true;
  try {
    const conversation = await api.post(`/api/v1/conversations/${id}/${path}`, body);
    if (conversation) putConversation(conversation);
    return conversation;
  } catch (error) {
    toast(error.message, { error: true });
    return null;
  } finally {
    button.disabled = false;
  }
}

export function setupHeader({ onBack, onTaken }) {
  $("back-button").addEventListener("click", onBack);
  takeButton.addEventListener("click", async () => {
    if (current && (await act(takeButton, "take"))) onTaken();
  });
  closeButton.addEventListener("click", () => {
    if (current) act(closeButton, "close");
  });
  transferButton.addEventListener("click", () => {
    if (current) openTransfer(current, { done: () => transferButton.focus() });
  });
  snoozeButton.addEventListener("click", () => {
    if (current) openSnooze(current, { done: () => snoozeButton.focus() });
  });
  // Taking one's own snoozed conversation brings it back now.
  unsnoozeButton.addEventListener("click", () => {
    if (current) act(unsnoozeButton, "take");
  });
  setupTransfer();
  setupSnooze();
}

function canManage(conversation) {
  return conversation.assignee_id === state.user.id || isSupervisor();
}

export function renderWindow(conversation = current) {
  if (!conversation) return;
  // A closed conversation has no window worth watching.
  windowStatus.hidden = conversation.status === "closed";
  const left = msUntil(conversation.window_expires_at);
  const open = left > 0;
  windowStatus.classList.toggle("closed", !open);
  windowStatus.classList.toggle("closing", open && left < 3_600_000);
  windowStatus.textContent = open
    ? t("window_open", { time: formatDuration(left) })
    : t("window_closed");
  windowStatus.title = conversation.window_expires_at ? formatFull(conversation.window_expires_at) : "";
}

export function renderHeader(conversation) {
  current = conversation;
  if (!conversation) return;
  const contact = conversation.contact || {};
  name.textContent = contactLabel(contact);
  waId.textContent = contact.name ? displayPhone(contact.wa_id) : "";
  waId.hidden = !contact.name;
  number.textContent = conversation.number ? t("via_number", { number: conversation.number }) : "";
  avatarFor(avatar, contact);

  status.textContent = t(`status_${conversation.status}`);
  status.dataset.status = conversation.status;
  if (conversation.status === "assigned") {
    assignee.textContent = isMine(conversation)
      ? t("assigned_to_you")
      : t("assigned_to", { name: conversation.assignee_name || "—" });
  } else if (conversation.status === "snoozed") {
    assignee.textContent = t("snoozed_until", { time: formatFull(conversation.snoozed_until) });
  } else {
    assignee.textContent = conversation.status === "queued" ? t("unassigned") : "";
  }

  const open = conversation.status !== "closed";
  const snoozed = conversation.status === "snoozed";
  takeButton.hidden = conversation.status !== "queued";
  snoozeButton.hidden = !(open && !snoozed && canManage(conversation));
  unsnoozeButton.hidden = !(snoozed && canManage(conversation));
  transferButton.hidden = !(open && canManage(conversation));
  closeButton.hidden = !(open && canManage(conversation));
  renderHeaderLabels(conversation);
  renderWindow(conversation);
  renderCsat(conversation);
}

// The satisfaction survey of a closed conversation: its score, or that it is awaited.
function renderCsat(conversation) {
  const survey = conversation.csat;
  csat.hidden = !survey;
  if (!survey) return;
  const answered = survey.score !== null && survey.score !== undefined;
  csat.textContent = answered ? t("csat_rating", { score: survey.score }) : t("csat_waiting");
  csat.classList.toggle("muted", !answered);
  csat.title = answered && survey.answered_at ? formatFull(survey.answered_at) : "";
}
