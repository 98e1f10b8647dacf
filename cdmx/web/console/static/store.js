// What the console knows: conversation snapshots, agents, the open conversation and tab.
// Snapshots from the API and from events replace the stored object wholesale, newest
// last: a REST answer asked for before a conversation's latest snapshot is older than it.
import { boot } from "./i18n.js";

export const state = {
  user: boot.user || { id: null, name: "", role: "agent", availability: "offline" },
  view: "mine",
  openId: null,
  conversations: new Map(),
  agents: new Map(),
  // The "all" view's filters (filters.js); null: any.
  filters: { queue_id: null, status: null, assignee_id: null },
  // Every view's order and label filter (order.js): recent | unread | waiting; null: any.
  order: "recent",
  labelId: null,
};

const listeners = new Map();

export function on(topic, fn) {
  if (!listeners.has(topic)) listeners.set(topic, new Set());
  listeners.get(topic).add(fn);
}

export function emit(topic, detail) {
  for (const fn of listeners.get(topic) || []) fn(detail);
}

export function isSupervisor() {
  return state.user.role === "supervisor" || state.user.role === "admin";
}

// Mine: assigned to me, or snoozed by me (listed after the others until it comes back).
export function isMine(conversation) {
  return (
    (conversation.status === "assigned" || conversation.status === "snoozed") &&
    conversation.assignee_id === state.user.id
  );
}

function matchesFilters(conversation) {
  const { queue_id: queue, status, assignee_id: assignee } = state.filters;
  return (
    (queue == null || conversation.queue_id === queue) &&
    (!status || conversation.status === status) &&
    (assignee == null || conversation.assignee_id === assignee)
  );
}

export function inView(conversation, view) {
  if (view === "all") return matchesFilters(conversation);
  if (view === "queue") return conversation.status === "queued";
  return isMine(conversation);
}

const snoozedLast = (conversation) => (conversation.status === "snoozed" ? 1 : 0);

function activity(conversation) {
  return Date.parse(conversation.last_message_at || conversation.created_at || 0) || 0;
}

// The order the server lists in (GET /conversations?order=), kept as events move rows.
const FIRST = {
  recent: () => 0,
  unread: (a, b) => Number(b.unread_count > 0) - Number(a.unread_count > 0),
  waiting: (a, b) => {
    const wa = a.waiting_since ? Date.parse(a.waiting_since) : Infinity;
    const wb = b.waiting_since ? Date.parse(b.waiting_since) : Infinity;
    return wa === wb ? 0 : wa < wb ? -1 : 1;
  },
};

function labelled(conversation) {
  return state.labelId == null || (conversation.labels || []).some((l) => l.id === state.labelId);
}

export function conversationsIn(view) {
  const first = FIRST[state.order] || FIRST.recent;
  return [...state.conversations.values()]
    .filter((conversation) => inView(conversation, view) && labelled(conversation))
    .sort(
      (a, b) =>
        snoozedLast(a) - snoozedLast(b) || first(a, b) || activity(b) - activity(a) || b.id - a.id,
    );
}

// Each snapshot from the stream or an action takes the next tick; a read notes ``clock()``
// before it is sent and passes it as ``asked``: what was ticked since stays.
let ticks = 0;
const ticked = new Map();

export function clock() {
  return ticks;
}

function newer(id, asked) {
  return asked != null && (ticked.get(id) || 0) > asked;
}

export function putConversation(conversation, { asked = null } = {}) {
  if (newer(conversation.id, asked)) return;
  state.conversations.set(conversation.id, conversation);
  if (asked == null) ticked.set(conversation.id, ++ticks);
  emit("conversations");
}

// The server's answer for one view is the truth for it: drop what we held for that view
// and the server no longer lists (closed or moved while we were not listening).
export function replaceView(view, conversations, { asked = null } = {}) {
  const listed = new Set(conversations.map((conversation) => conversation.id));
  for (const [id, conversation] of state.conversations) {
    if (inView(conversation, view) && !listed.has(id) && id !== state.openId && !newer(id, asked)) {
      state.conversations.delete(id);
    }
  }
  for (const conversation of conversations) {
    if (!newer(conversation.id, asked)) state.conversations.set(conversation.id, conversation);
  }
  emit("conversations");
}

export function setUnreadZero(id) {
  const conversation = state.conversations.get(id);
  if (conversation && conversation.unread_count) {
    state.conversations.set(id, { ...conversation, unread_count: 0 });
    emit("conversations");
  }
}

export function putAgents(agents) {
  state.agents = new Map(agents.map((agent) => [agent.id, agent]));
  // The page was rendered before the stream listened: a change in between shows here.
  const me = state.agents.get(state.user.id);
  if (me && me.availability && me.availability !== state.user.availability) {
    state.user = { ...state.user, availability: me.availability };
    emit("me");
  }
  emit("agents");
}

export function putAgent(agent) {
  state.agents.set(agent.id, agent);
  if (agent.id === state.user.id && agent.availability) {
    state.user = { ...state.user, availability: agent.availability };
    emit("me");
  }
  emit("agents");
}
