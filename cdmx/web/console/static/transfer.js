// The transfer dialog: hand the open conversation to another agent or to a queue, with an
// optional note for whoever receives it (stored as an internal note, the first thing they
// read). POST /api/v1/conversations/{id}/transfer with agent_id or queue_id, and note.
import { api } from "./api.js";
import { element } from "./dom.js";
import { t } from "./i18n.js";
import { putAgents, putConversation, state } from "./store.js";
import { toast } from "./toast.js";

const dialog = document.getElementById("transfer-dialog");
const form = document.getElementById("transfer-form");
const select = document.getElementById("transfer-select");
const selectError = document.getElementById("transfer-select-error");
const noteInput = document.getElementById("transfer-note");
const counter = document.getElementById("transfer-note-counter");
const formError = document.getElementById("transfer-error");
const submit = document.getElementById("transfer-submit");

const NOTE_MAX = Number(noteInput?.maxLength) > 0 ? noteInput.maxLength : 10000;

let conversation = null;
let queues = null; // loaded once; null until then (or when the list could not be read)
let onDone = () => {};

// The agents' availability and load change all day: read them fresh for the picker.
async function loadAgents() {
  try {
    const data = await api.get("/api/v1/agents");
    putAgents(data.agents || []);
  } catch {
    // The list the console already holds will do.
  }
}

async function loadQueues() {
  if (queues) return queues;
  try {
    const data = await api.get("/api/v1/queues");
    queues = data.queues || [];
  } catch {
    // Agents only, then: the queue list is tried again next time.
    return [];
  }
  return queues;
}

function setSelectError(message) {
  selectError.textContent = message || "";
  selectError.hidden = !message;
  select.toggleAttribute("aria-invalid", Boolean(message));
  select.closest(".field").classList.toggle("invalid", Boolean(message));
}

function clearErrors() {
  setSelectError("");
  formError.hidden = true;
  formError.textContent = "";
}

function updateCounter() {
  const length = [...noteInput.value].length;
  counter.textContent = `${length}/${NOTE_MAX}`;
  counter.classList.toggle("over", length > NOTE_MAX);
}

function option(value, label) {
  const node = element("option", null, label);
  node.value = value;
  return node;
}

function renderOptions(current, queueList) {
  const agents = [...state.agents.values()]
    .filter((agent) => agent.id !== current.assignee_id)
    .sort(
      (a, b) =>
        (a.availability === "available" ? 0 : 1) - (b.availability === "available" ? 0 : 1) ||
        a.name.localeCompare(b.name),
    );
  const nodes = [option("", t("transfer_to"))];
  const agentGroup = element("optgroup");
  agentGroup.label = t("transfer_agents");
  if (agents.length) {
    for (const agent of agents) {
      agentGroup.append(
        option(
          `agent:${agent.id}`,
          t("transfer_option", {
            name: agent.name,
            availability: t(`availability_${agent.availability}`),
            count: agent.open_conversations ?? 0,
          }),
        ),
      );
    }
  } else {
    const none = option("", t("transfer_none"));
    none.disabled = true;
    agentGroup.append(none);
  }
  nodes.push(agentGroup);
  if (queueList.length) {
    const queueGroup = element("optgroup");
    queueGroup.label = t("transfer_queues");
    for (const queue of queueList) {
      queueGroup.append(option(`queue:${queue.id}`, t("transfer_queue_option", { name: queue.name })));
    }
    nodes.push(queueGroup);
  }
  select.replaceChildren(...nodes);
  select.value = "";
}

function parseTarget(value) {
  const match = /^(agent|queue):(\d+)$/.exec(value || "");
  return match ? { kind: match[1], id: Number(match[2]) } : null;
}

export async function openTransfer(current, { done = () => {} } = {}) {
  if (!current) return;
  conversation = current;
  onDone = done;
  clearErrors();
  noteInput.value = "";
  updateCounter();
  submit.disabled = false;
  renderOptions(current, queues || []);
  if (!dialog.open) dialog.showModal();
  select.focus();
  const [list] = await Promise.all([loadQueues(), loadAgents()]);
  // Still the same opening: fill in what came, keeping what was already chosen.
  if (dialog.open && conversation === current) {
    const chosen = select.value;
    renderOptions(current, list);
    select.value = chosen;
  }
}

function closeTransfer() {
  conversation = null;
  if (dialog.open) dialog.close();
}

async function submitTransfer() {
  clearErrors();
  const target = parseTarget(select.value);
  if (!target) {
    setSelectError(t("transfer_pick"));
    select.focus();
    return;
  }
  const note = noteInput.value.trim();
  if ([...note].length > NOTE_MAX) {
    noteInput.focus();
    return;
  }
  const body = target.kind === "agent" ? { agent_id: target.id } : { queue_id: target.id };
  if (note) body.note = note;
  const id = conversation.id;
  submit.disabled = true;
  try {
    const updated = await api.post(`/api/v1/conversations/${id}/transfer`, body);
    if (updated) putConversation(updated);
    if (target.kind === "agent") {
      const agent = state.agents.get(target.id);
      toast(t("transfer_done", { name: agent ? agent.name : "—" }));
    } else {
      const queue = (queues || []).find((each) => each.id === target.id);
      toast(t("transfer_done_queue", { name: queue ? queue.name : "—" }));
    }
    closeTransfer();
    onDone(updated);
  } catch (error) {
    formError.textContent = error.message || t("error_generic");
    formError.hidden = false;
  } finally {
    submit.disabled = false;
  }
}

export function setupTransfer() {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (conversation && !submit.disabled) submitTransfer();
  });
  select.addEventListener("change", () => {
    if (select.value) setSelectError("");
  });
  noteInput.addEventListener("input", updateCounter);
  // Ctrl/Cmd+Enter in the note transfers, as the button does.
  noteInput.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  for (const id of ["transfer-cancel", "transfer-close"]) {
    document.getElementById(id).addEventListener("click", closeTransfer);
  }
  dialog.addEventListener("close", () => {
    conversation = null;
  });
}
