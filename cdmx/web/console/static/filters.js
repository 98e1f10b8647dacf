// The "Todas" view's filters, for supervisors and admins: by queue, status and agent.
// A supervisor is offered their own queues (the server shows them nothing else) and the
// agents of those queues; the list is read again from the server on every change
// (GET /api/v1/conversations?view=all&queue_id=&status=&assignee=).
import { api } from "./api.js";
import { element } from "./dom.js";
import { t } from "./i18n.js";
import { emit, on, state } from "./store.js";

const bar = document.getElementById("inbox-filters");
const queueSelect = document.getElementById("filter-queue");
const statusSelect = document.getElementById("filter-status");
const agentSelect = document.getElementById("filter-agent");

let queues = []; // the queues offered: [{id, name, member_ids}]

function option(value, label) {
  const node = element("option", null, label);
  node.value = value;
  return node;
}

function numberOrNull(value) {
  return value ? Number(value) : null;
}

// The agents offered: members of the chosen queue, or of any queue offered.
function renderAgents() {
  const chosen = state.filters.queue_id;
  const wanted = queues.filter((queue) => chosen == null || queue.id === chosen);
  const members = new Set(wanted.flatMap((queue) => queue.member_ids || []));
  const agents = [...state.agents.values()]
    .filter((agent) => !queues.length || members.has(agent.id))
    .sort((a, b) => a.name.localeCompare(b.name));
  const keep = state.filters.assignee_id;
  agentSelect.replaceChildren(
    option("", t("filter_agent_any")),
    ...agents.map((agent) => option(String(agent.id), agent.name)),
  );
  agentSelect.value = keep != null && agents.some((a) => a.id === keep) ? String(keep) : "";
}

function renderQueues() {
  queueSelect.replaceChildren(
    option("", t("filter_queue_any")),
    ...queues.map((queue) => option(String(queue.id), queue.name)),
  );
  const keep = state.filters.queue_id;
  queueSelect.value = keep != null && queues.some((q) => q.id === keep) ? String(keep) : "";
}

async function loadQueues() {
  try {
    const data = await api.get("/api/v1/queues");
    const all = data.queues || [];
    queues =
      state.user.role === "admin"
        ? all
        : all.filter((queue) => (queue.member_ids || []).includes(state.user.id));
  } catch {
    queues = []; // no queue filter then; the agents are all offered
  }
  renderQueues();
  renderAgents();
}

// The query string of the "all" view for the current filters ("" when none is set).
export function filterParams() {
  const params = new URLSearchParams();
  const { queue_id: queue, status, assignee_id: assignee } = state.filters;
  if (queue != null) params.set("queue_id", String(queue));
  if (status) params.set("status", status);
  if (assignee != null) params.set("assignee", String(assignee));
  const text = params.toString();
  return text ? `&${text}` : "";
}

export function filtersActive() {
  const { queue_id: queue, status, assignee_id: assignee } = state.filters;
  return queue != null || Boolean(status) || assignee != null;
}

// A saved view's "Todas" filters, shown in the selects (the caller reads the list again).
export function applyFilters(filters) {
  state.filters = {
    queue_id: filters.queue_id ?? null,
    status: filters.status ?? null,
    assignee_id: filters.assignee_id ?? null,
  };
  if (!bar) return;
  renderQueues();
  renderAgents();
  statusSelect.value = state.filters.status || "";
}

export function renderFilters() {
  if (bar) bar.hidden = state.view !== "all";
}

export function setupFilters({ onChange }) {
  if (!bar) return;
  const changed = () => {
    state.filters = {
      queue_id: numberOrNull(queueSelect.value),
      status: statusSelect.value || null,
      assignee_id: numberOrNull(agentSelect.value),
    };
    emit("conversations");
    onChange();
  };
  queueSelect.addEventListener("change", () => {
    renderAgents(); // an agent of another queue is no longer offered
    changed();
  });
  statusSelect.addEventListener("change", changed);
  agentSelect.addEventListener("change", changed);
  on("agents", renderAgents);
  loadQueues();
}
