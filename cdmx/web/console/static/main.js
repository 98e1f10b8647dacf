// Entry point: loads the state over REST, follows the event stream, wires the parts.
import { api } from "./api.js";
import { setupAvailability, showAvailability } from "./availability.js";
import { setupAttachments } from "./attach.js";
import { setupBubbleActions } from "./bubble-actions.js";
import { focusComposer, setComposerConversation, setupComposer } from "./compose.js";
import { setupDialog } from "./dialog.js";
import { setupLightbox } from "./media.js";
import { openTemplateForCurrent, setupMenu } from "./menu.js";
import { openNewConversation } from "./newchat.js";
import { openReactionPicker } from "./react.js";
import { setupRecorder } from "./recorder.js";
import { startReply } from "./reply.js";
import { connectEvents } from "./events.js";
import { renderHeader, renderWindow, setupHeader } from "./header.js";
import { filterParams, setupFilters } from "./filters.js";
import { renderInbox, setupInbox, showLoading } from "./inbox.js";
import { setupSearch } from "./search.js";
import { setupMerge } from "./merge.js";
import { setupMentions } from "./mentions.js";
import { setupHere } from "./here.js";
import { setupLabels } from "./labels.js";
import { setupProfile } from "./profile.js";
import { orderParams, setupOrder } from "./order.js";
import { setupSavedViews } from "./saved-views.js";
import { setupSendTo } from "./send-to.js";
import {
  clock,
  emit,
  isSupervisor,
  on,
  putAgent,
  putAgents,
  putConversation,
  replaceView,
  setUnreadZero,
  state,
} from "./store.js";
import {
  authorName,
  clearThread,
  doneLoading,
  messageById,
  showThread,
  upsertMessage,
  upsertMessages,
} from "./thread.js";
import { toast } from "./toast.js";
import "./notify.js"; // self-starting: notifications, the title count and the chime
import "./shortcuts.js"; // self-starting: the keyboard shortcuts and their help

const consoleElement = document.getElementById("console");
const conversationPane = document.getElementById("conversation");
const emptyPane = document.getElementById("thread-empty");

const VIEW_KEY = "cdmx.console.view";
const views = () => (isSupervisor() ? ["mine", "queue", "all"] : ["mine", "queue"]);

// Events that arrive while the state is (re)loading wait here and are applied after it,
// so a snapshot from the REST answer never overwrites a newer one from the stream.
let loading = true;
let waiting = [];

// Many events in one burst make one repaint.
let frame = 0;
function schedule() {
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    renderInbox();
    const open = state.conversations.get(state.openId);
    if (open) {
      renderHeader(open);
      setComposerConversation(open);
    }
  });
}

async function loadView(view) {
  const filters = (view === "all" ? filterParams() : "") + orderParams();
  const asked = clock();
  const data = await api.get(`/api/v1/conversations?view=${view}${filters}`);
  replaceView(view, data.conversations || [], { asked });
}

async function loadAgents() {
  try {
    const data = await api.get("/api/v1/agents");
    putAgents(data.agents || []);
  } catch {
    // Only the transfer picker needs it; it will be tried again on the next reload.
  }
}

async function markRead(id) {
  setUnreadZero(id);
  try {
    await api.post(`/api/v1/conversations/${id}/read`);
  } catch {
    // Not worth interrupting the agent: the next read call will catch up.
  }
}

async function loadThread(id) {
  let conversation;
  let data;
  // An event while these are in flight (a rename, a transfer) is newer than their answer.
  const asked = clock();
  try {
    [conversation, data] = await Promise.all([
      api.get(`/api/v1/conversations/${id}`),
      api.get(`/api/v1/conversations/${id}/messages`),
    ]);
  } catch (error) {
    // Gone from view (taken by another agent, or a stale link): back to the list.
    if (state.openId === id && (error.status === 403 || error.status === 404)) {
      closeConversationPane();
    }
    throw error;
  }
  if (state.openId !== id) return;
  putConversation(conversation, { asked });
  upsertMessages(data.messages || []);
  doneLoading();
  markRead(id);
}

async function reloadAll() {
  loading = true;
  try {
    state.conversations.clear();
    const wanted = new Set(["mine", "queue", state.view]);
    await Promise.all([...wanted].map(loadView).concat(loadAgents()));
    // The open thread keeps its bubbles (a message still being sent among them); the
    // server's copies merge into them by id and local_id.
    if (state.openId != null) await loadThread(state.openId);
  } catch (error) {
    toast(error.message, { error: true });
  } finally {
    loading = false;
    const pending = waiting;
    waiting = [];
    for (const [type, data] of pending) apply(type, data);
    schedule();
  }
}

function apply(type, data) {
  if (type === "message.created") {
    if (data.conversation) putConversation(data.conversation);
    const message = data.message;
    if (message && message.conversation_id === state.openId) {
      const added = upsertMessage(message);
      if (added && message.direction === "inbound" && document.visibilityState === "visible") {
        markRead(state.openId);
      }
    }
  } else if (type === "message.updated") {
    if (data.message && data.message.conversation_id === state.openId) upsertMessage(data.message);
  } else if (type === "agent.updated") {
    if (data.agent) putAgent(data.agent);
  } else if (type === "user.updated") {
    // Deactivated by an admin: the server has ended this session and its stream.
    if (data.user?.id === state.user.id && data.user.active === false) {
      window.location.assign("/login");
    }
  } else if (data.conversation) {
    putConversation(data.conversation);
  }
  // The parts that follow other event types (mentions, who else is here, notifications)
  // listen for this instead of each growing this function.
  document.dispatchEvent(new CustomEvent("cdmx:event", { detail: { type, data } }));
}

function onEvent(type, data) {
  if (loading) waiting.push([type, data]);
  else apply(type, data);
}

function openConversation(id) {
  if (!Number.isFinite(id)) return;
  if (id === state.openId) {
    consoleElement.dataset.pane = "thread";
    return;
  }
  state.openId = id;
  history.replaceState(null, "", `#c${id}`);
  consoleElement.dataset.pane = "thread";
  emptyPane.hidden = true;
  conversationPane.hidden = false;
  const known = state.conversations.get(id);
  if (known) renderHeader(known);
  setComposerConversation(known || null, { focus: true });
  const focused = document.activeElement;
  showThread(id);
  renderInbox();
  document.dispatchEvent(new CustomEvent("cdmx:open", { detail: { id } }));
  loadAgents();
  loadThread(id)
    .then(() => {
      // The composer takes the focus once the thread is in — unless the agent has moved it
      // meanwhile (a shortcut, a menu): a late load must not pull it back.
      const still = document.activeElement === focused || document.activeElement === document.body;
      setComposerConversation(state.conversations.get(id) || null, { focus: still });
    })
    .catch((error) => toast(error.message, { error: true }));
}

function closeConversationPane() {
  state.openId = null;
  history.replaceState(null, "", window.location.pathname + window.location.search);
  consoleElement.dataset.pane = "list";
  conversationPane.hidden = true;
  emptyPane.hidden = false;
  clearThread();
  setComposerConversation(null);
  renderInbox();
  document.dispatchEvent(new CustomEvent("cdmx:open", { detail: { id: null } }));
}

function setView(view) {
  state.view = view;
  sessionStorage.setItem(VIEW_KEY, view);
  emit("view");
  renderInbox();
}

async function selectView(view) {
  if (!views().includes(view)) return;
  setView(view);
  try {
    await loadView(view);
  } catch (error) {
    toast(error.message, { error: true });
  }
}

function start() {
  const saved = sessionStorage.getItem(VIEW_KEY);
  if (saved && views().includes(saved)) state.view = saved;

  on("conversations", schedule);
  on("agents", schedule);
  on("me", () => showAvailability());

  setupInbox({ onOpen: openConversation, onView: selectView });
  setupFilters({ onChange: () => selectView("all") });
  setupOrder({ onChange: () => reloadAll() });
  setupSavedViews({
    onApply: async (view) => {
      if (views().includes(view)) setView(view);
      await reloadAll();
    },
  });
  setupSearch({ onOpen: openConversation });
  setupMerge();
  setupMentions({ onOpen: openConversation });
  setupHere();
  setupLabels();
  setupProfile();
  setupSendTo();
  setupHeader({ onBack: closeConversationPane, onTaken: () => selectView("mine") });
  setupDialog();
  setupComposer({ onTemplate: openTemplateForCurrent });
  setupMenu();
  setupAttachments();
  setupRecorder();
  setupLightbox();
  setupBubbleActions({
    find: messageById,
    onReply: (message) => {
      startReply(message, authorName(message));
      focusComposer();
    },
    onReact: (message, anchor) => {
      const node = anchor.closest(".message");
      const mine = node?.querySelector('.reaction[data-from="outbound"]')?.textContent || "";
      openReactionPicker(message, anchor, mine);
    },
  });
  document.getElementById("new-conversation").addEventListener("click", () => {
    openNewConversation(openConversation).catch((error) => toast(error.message, { error: true }));
  });
  setupAvailability();

  // A browser notification's click (notify.js) or a link sets #c<id>: open that one.
  window.addEventListener("hashchange", () => {
    const wanted = /^#c(\d+)$/.exec(window.location.hash);
    if (wanted) openConversation(Number(wanted[1]));
  });

  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState !== "visible") return;
    const open = state.conversations.get(state.openId);
    if (open && open.unread_count) markRead(open.id);
    schedule();
  });

  // The window countdown and the list's relative times move with the clock.
  setInterval(() => {
    renderWindow();
    schedule();
  }, 30_000);

  // Load once the stream is following (so nothing falls between the two), or after a
  // short wait if it is slow to say hello; events meanwhile wait in the buffer.
  let started = false;
  const begin = () => {
    if (started) return;
    started = true;
    const match = /^#c(\d+)$/.exec(window.location.hash);
    reloadAll().then(() => {
      if (match) openConversation(Number(match[1]));
    });
  };
  showLoading();
  connectEvents({ onEvent, onReset: () => (started ? reloadAll() : begin()), onReady: begin });
  setTimeout(begin, 2000);
}

start();
