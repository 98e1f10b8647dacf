// The supervisor's live view: GET /api/v1/live drawn as three tables (queues, the customers
// waiting, agents), fetched again shortly after each event of the stream — never polled —
// while a one-second ticker ages every wait. A wait past its queue's first-response target
// turns amber, past twice the target red; a waiting customer opens in the console.
import { api } from "./api.js";
import { connectEvents } from "./events.js";
import { lang, t, timezone } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const queuesBody = $("live-queues").tBodies[0];
const waitingBody = $("live-waiting").tBodies[0];
const agentsBody = $("live-agents").tBodies[0];
const nobody = $("live-nobody");
const updated = $("live-updated");

// Many events in one burst make one fetch (a steady stream, one every SETTLE_MS); one
// arriving during a fetch makes one more.
const SETTLE_MS = 150;
let timer = 0;
let fetching = false;
let again = false;
let skew = 0; // the server's clock minus the browser's, from the last answer

function cell(content, className) {
  const td = document.createElement("td");
  if (className) td.className = className;
  if (content instanceof Node) td.append(content);
  else td.textContent = content ?? "—";
  return td;
}

// A wait that ticks: its element keeps when it started and its target.
function age(since, target) {
  const span = document.createElement("span");
  span.className = "live-age";
  if (since) {
    span.dataset.since = String(Date.parse(since));
    span.dataset.target = String(target);
  } else {
    span.textContent = "—";
  }
  return span;
}

function clock(seconds) {
  const whole = Math.max(0, Math.floor(seconds));
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${minutes}:${String(whole % 60).padStart(2, "0")}`;
  return t("duration_hours_minutes", { hours: Math.floor(minutes / 60), minutes: minutes % 60 });
}

function seconds(value) {
  return value == null ? "—" : clock(value);
}

function share(value) {
  return value == null ? "—" : `${Math.round(value * 100)} %`;
}

function tick() {
  const now = Date.now() + skew;
  const levels = new Map(); // a row shows its most urgent wait
  for (const span of document.querySelectorAll(".live-age[data-since]")) {
    const waited = (now - Number(span.dataset.since)) / 1000;
    const target = Number(span.dataset.target);
    span.textContent = clock(waited);
    const row = span.closest("tr");
    const level = waited > 2 * target ? 2 : waited > target ? 1 : 0;
    levels.set(row, Math.max(levels.get(row) || 0, level));
  }
  for (const [row, level] of levels) row.dataset.level = ["", "due", "late"][level];
}

function openLink(conversationId, text) {
  const link = document.createElement("a");
  link.href = `/#c${conversationId}`;
  link.className = "live-open";
  link.dataset.conversationId = String(conversationId);
  link.textContent = text;
  return link;
}

function render(live) {
  skew = Date.parse(live.now) - Date.now();
  const targets = new Map(live.queues.map((queue) => [queue.id, queue.target_first_response_seconds]));

  queuesBody.replaceChildren(
    ...live.queues.map((queue) => {
      const row = document.createElement("tr");
      row.dataset.queueId = String(queue.id);
      row.append(
        cell(queue.name),
        cell(String(queue.waiting), "live-count live-waiting-count"),
        cell(String(queue.unassigned), "live-count"),
        cell(age(queue.oldest_waiting_since, queue.target_first_response_seconds)),
        cell(String(queue.open), "live-count"),
        cell(`${queue.agents_available} / ${queue.agents_away} / ${queue.agents_offline}`),
        cell(share(queue.answered_within_target_today)),
      );
      return row;
    }),
  );

  waitingBody.replaceChildren(
    ...live.waiting.map((waiting) => {
      const row = document.createElement("tr");
      row.dataset.conversationId = String(waiting.conversation_id);
      row.append(
        cell(openLink(waiting.conversation_id, waiting.contact_name || "—")),
        cell(waiting.queue_name),
        cell(waiting.assignee_name || t("live_in_queue")),
        cell(age(waiting.waiting_since, waiting.target_first_response_seconds)),
      );
      return row;
    }),
  );
  nobody.hidden = live.waiting.length > 0;

  agentsBody.replaceChildren(
    ...live.agents.map((agent) => {
      const row = document.createElement("tr");
      row.dataset.agentId = String(agent.id);
      const target = Math.min(...agent.queue_ids.map((id) => targets.get(id) ?? Infinity));
      const oldest = agent.oldest_unanswered_conversation_id
        ? openLink(agent.oldest_unanswered_conversation_id, "")
        : document.createElement("span");
      oldest.append(age(agent.oldest_unanswered_since, Number.isFinite(target) ? target : 300));
      const status = document.createElement("span");
      status.className = "live-status";
      status.dataset.availability = agent.availability;
      status.textContent = t(`availability_${agent.availability}`);
      row.append(
        cell(agent.name),
        cell(status),
        cell(`${agent.open} / ${agent.capacity}`, agent.open >= agent.capacity ? "live-full" : ""),
        cell(oldest),
        cell(String(agent.replies_today), "live-count"),
        cell(seconds(agent.first_response_median_today_s)),
      );
      return row;
    }),
  );
  updated.textContent = t("live_updated", {
    time: new Date(live.now).toLocaleTimeString(lang, { timeStyle: "medium", timeZone: timezone }),
  });
  tick();
}

async function refresh() {
  if (fetching) {
    again = true;
    return;
  }
  fetching = true;
  try {
    render(await api.get("/api/v1/live"));
  } catch (error) {
    updated.textContent = error.message;
  } finally {
    fetching = false;
    if (again) {
      again = false;
      refresh();
    }
  }
}

function soon() {
  if (timer) return;
  timer = setTimeout(() => {
    timer = 0;
    refresh();
  }, SETTLE_MS);
}

connectEvents({ onEvent: soon, onReset: refresh, onReady: refresh });
setInterval(tick, 1000);
