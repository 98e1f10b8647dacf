// The snooze dialog: put the open conversation aside until a chosen time (in an hour, in
// three, tomorrow or Monday at 9:00, or any date); it comes back to its agent then, or as
// soon as the customer writes. POST /api/v1/conversations/{id}/snooze {"until"}.
import { api } from "./api.js";
import { t } from "./i18n.js";
import { formatFull } from "./format.js";
import { putConversation } from "./store.js";
import { toast } from "./toast.js";

const dialog = document.getElementById("snooze-dialog");
const form = document.getElementById("snooze-form");
const customField = document.getElementById("snooze-custom-field");
const custom = document.getElementById("snooze-custom");
const formError = document.getElementById("snooze-error");
const submit = document.getElementById("snooze-submit");

let conversation = null;
let onDone = () => {};

function atNine(date, daysAhead) {
  const at = new Date(date);
  at.setDate(at.getDate() + daysAhead);
  at.setHours(9, 0, 0, 0);
  return at;
}

// The moment each choice stands for, computed when the dialog opens.
function choices(now = new Date()) {
  const untilMonday = ((8 - now.getDay()) % 7) || 7;
  return {
    "1h": new Date(now.getTime() + 3_600_000),
    "3h": new Date(now.getTime() + 3 * 3_600_000),
    tomorrow: atNine(now, 1),
    monday: atNine(now, untilMonday),
  };
}

function chosen() {
  return form.querySelector('input[name="snooze-when"]:checked')?.value || "1h";
}

function localInputValue(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}`
  );
}

function showError(message) {
  formError.textContent = message || "";
  formError.hidden = !message;
}

function sync() {
  customField.hidden = chosen() !== "custom";
  showError("");
}

export function openSnooze(current, { done = () => {} } = {}) {
  if (!current) return;
  conversation = current;
  onDone = done;
  const times = choices();
  for (const node of form.querySelectorAll(".snooze-at")) {
    const at = times[node.dataset.for];
    node.textContent = at ? `· ${formatFull(at.toISOString())}` : "";
  }
  custom.min = localInputValue(new Date());
  if (!custom.value) custom.value = localInputValue(times.tomorrow);
  sync();
  submit.disabled = false;
  if (!dialog.open) dialog.showModal();
  form.querySelector('input[name="snooze-when"]:checked')?.focus();
}

function closeSnooze() {
  conversation = null;
  if (dialog.open) dialog.close();
}

async function submitSnooze() {
  const choice = chosen();
  const until = choice === "custom" ? new Date(custom.value) : choices()[choice];
  if (!until || Number.isNaN(until.getTime()) || until.getTime() <= Date.now()) {
    showError(t("snooze_pick"));
    custom.focus();
    return;
  }
  submit.disabled = true;
  try {
    const updated = await api.post(`/api/v1/conversations/${conversation.id}/snooze`, {
      until: until.toISOString(),
    });
    if (updated) putConversation(updated);
    toast(t("snooze_done", { time: formatFull(until.toISOString()) }));
    closeSnooze();
    onDone(updated);
  } catch (error) {
    showError(error.message || t("error_generic"));
  } finally {
    submit.disabled = false;
  }
}

export function setupSnooze() {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (conversation && !submit.disabled) submitSnooze();
  });
  form.addEventListener("change", sync);
  for (const id of ["snooze-cancel", "snooze-close"]) {
    document.getElementById(id).addEventListener("click", closeSnooze);
  }
  dialog.addEventListener("close", () => {
    conversation = null;
  });
}
