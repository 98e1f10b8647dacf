// The webhooks page (admins): add an endpoint (its secret shown once, to copy), change its
// address and events, turn it off and on, rotate the secret, send a test event, delete it,
// and read its delivery log — each delivery's attempts with the endpoint's answer, and
// "Reenviar". Changes reload the page, so it shows what the server has; the log is read
// from the API when opened.
import { request } from "../api.js";
import { element } from "../dom.js";
import { formatFull } from "../format.js";
import { t } from "../i18n.js";
import { deleteControls } from "./confirm.js";

for (const node of document.querySelectorAll("time[data-time]")) {
  node.dateTime = node.dataset.time;
  node.textContent = formatFull(node.dataset.time);
}

// "Todos los eventos" stands for every type: ticking it ticks and locks the others.
function wireEvents(form) {
  const all = form.querySelector('input[name="events"][value="*"]');
  const each = [...form.querySelectorAll('input[name="events"]')].filter((box) => box !== all);
  const sync = ({ cleared = false } = {}) => {
    for (const box of each) {
      box.disabled = all.checked;
      if (all.checked) box.checked = true;
      else if (cleared) box.checked = false; // "all" taken off: the admin picks
    }
  };
  all.addEventListener("change", () => sync({ cleared: !all.checked }));
  sync();
}

function chosenEvents(form) {
  const boxes = [...form.querySelectorAll('input[name="events"]')];
  const all = boxes.find((box) => box.value === "*");
  if (all.checked) return ["*"];
  return boxes.filter((box) => box.checked && box.value !== "*").map((box) => box.value);
}

function say(node, text, { error = false } = {}) {
  node.textContent = text;
  node.classList.toggle("error", error);
}

// The secret, shown once: the admin copies it into the receiving system; "Listo" reloads.
function showSecret(text, secret) {
  const box = document.getElementById("secret-box");
  say(document.getElementById("secret-text"), text);
  const field = document.getElementById("secret-value");
  field.value = secret;
  box.hidden = false;
  field.focus();
  field.select();
}

document.getElementById("secret-copy").addEventListener("click", async (event) => {
  const field = document.getElementById("secret-value");
  field.select();
  try {
    await navigator.clipboard.writeText(field.value);
    event.target.textContent = t("users_link_copied");
  } catch {
    // Selected, for Ctrl+C, when the clipboard is not allowed.
  }
});
document.getElementById("secret-done").addEventListener("click", () => window.location.reload());

async function act(message, run) {
  say(message, "");
  try {
    await run();
  } catch (error) {
    say(message, error.message, { error: true });
  }
}

const add = document.getElementById("add-webhook");
wireEvents(add);
add.addEventListener("submit", (event) => {
  event.preventDefault();
  const message = add.querySelector(".form-message");
  const events = chosenEvents(add);
  if (events.length === 0) {
    say(message, t("webhooks_pick_events"), { error: true });
    return;
  }
  act(message, async () => {
    const made = await request("POST", "/api/v1/webhooks", {
      url: add.elements.url.value.trim(),
      description: add.elements.description.value.trim(),
      events,
    });
    add.reset();
    showSecret(t("webhooks_secret_new", { url: made.url }), made.secret);
  });
});

function logRow(webhookId, delivery, message) {
  const row = element("tr", "log-row");
  row.dataset.id = String(delivery.id);
  const when = formatFull(delivery.delivered_at || delivery.created_at);
  const event = element("td", null);
  event.append(element("code", null, delivery.event_type), element("div", "muted", when));
  const state = element("td", "log-state", t(`webhooks_status_${delivery.status}`));
  if (delivery.status === "pending" && delivery.next_attempt_at) {
    state.append(element("div", "muted", t("webhooks_next_try", { time: formatFull(delivery.next_attempt_at) })));
  }
  const answers = element("td", "log-answers");
  for (const attempt of delivery.log) {
    const line = element("div", "log-attempt");
    const code = attempt.status_code == null ? attempt.error : `HTTP ${attempt.status_code}`;
    line.append(
      element("span", null, `${formatFull(attempt.at)} · ${code} · ${attempt.duration_ms} ms`),
    );
    if (attempt.response) line.append(element("pre", "log-response", attempt.response));
    answers.append(line);
  }
  const resend = element("button", "button small resend-button", t("webhooks_resend"));
  resend.type = "button";
  resend.addEventListener("click", () =>
    act(message, async () => {
      await request("POST", `/api/v1/webhooks/${webhookId}/deliveries/${delivery.id}/resend`);
      say(message, t("webhooks_resent"));
    }),
  );
  const actions = element("td", null);
  actions.append(resend);
  row.append(
    event,
    state,
    element("td", null, String(delivery.attempts)),
    answers,
    actions,
  );
  return row;
}

async function loadLog(section, { more = false } = {}) {
  const id = section.dataset.id;
  const table = section.querySelector(".log-table");
  const body = table.querySelector("tbody");
  const status = section.querySelector(".log-status");
  const moreButton = section.querySelector(".log-more");
  const message = section.querySelector(".action-message");
  const before = more ? moreButton.dataset.before : "";
  say(status, t("loading"));
  try {
    const data = await request(
      "GET",
      `/api/v1/webhooks/${id}/deliveries${before ? `?before=${before}` : ""}`,
    );
    const rows = data.deliveries.map((delivery) => logRow(id, delivery, message));
    if (more) body.append(...rows);
    else body.replaceChildren(...rows);
    table.hidden = body.children.length === 0;
    say(status, body.children.length === 0 ? t("webhooks_log_empty") : "");
    moreButton.hidden = data.next == null;
    moreButton.dataset.before = data.next == null ? "" : String(data.next);
  } catch (error) {
    say(status, error.message);
  }
}

for (const section of document.querySelectorAll(".webhook")) {
  const id = section.dataset.id;
  const message = section.querySelector(".action-message");
  const form = section.querySelector(".webhook-form");
  wireEvents(form);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const formMessage = form.querySelector(".form-message");
    const events = chosenEvents(form);
    if (events.length === 0) {
      say(formMessage, t("webhooks_pick_events"), { error: true });
      return;
    }
    act(formMessage, async () => {
      await request("PATCH", `/api/v1/webhooks/${id}`, {
        url: form.elements.url.value.trim(),
        description: form.elements.description.value.trim(),
        events,
      });
      window.location.reload();
    });
  });
  section.querySelector(".test-button").addEventListener("click", () =>
    act(message, async () => {
      await request("POST", `/api/v1/webhooks/${id}/test`);
      say(message, t("webhooks_test_sent"));
      const log = section.querySelector(".delivery-log");
      if (log.open) setTimeout(() => loadLog(section), 1500);
    }),
  );
  section.querySelector(".rotate-button").addEventListener("click", () =>
    act(message, async () => {
      const rotated = await request("POST", `/api/v1/webhooks/${id}/rotate-secret`);
      showSecret(t("webhooks_secret_rotated", { url: rotated.url }), rotated.secret);
    }),
  );
  const toggle = section.querySelector(".toggle-button");
  toggle.addEventListener("click", () =>
    act(message, async () => {
      const active = toggle.dataset.active !== "true";
      await request("PATCH", `/api/v1/webhooks/${id}`, { active });
      window.location.reload();
    }),
  );
  const url = section.querySelector("h2 code").textContent;
  section.querySelector(".delete-slot").append(
    deleteControls({
      name: url,
      question: t("webhooks_delete_confirm", { url }),
      remove: async () => {
        await request("DELETE", `/api/v1/webhooks/${id}`);
        window.location.reload();
      },
    }),
  );
  const log = section.querySelector(".delivery-log");
  log.addEventListener("toggle", () => {
    if (log.open) loadLog(section);
  });
  section.querySelector(".log-more").addEventListener("click", () => loadLog(section, { more: true }));
}

// "Enviar a…" actions: add (the secret shown once), rotate, turn off and on, delete.
const addAction = document.getElementById("add-action");
addAction.addEventListener("submit", (event) => {
  event.preventDefault();
  act(addAction.querySelector(".form-message"), async () => {
    const made = await request("POST", "/api/v1/send-actions", {
      name: addAction.elements.name.value.trim(),
      url: addAction.elements.url.value.trim(),
    });
    addAction.reset();
    showSecret(t("actions_secret_new", { name: made.name }), made.secret);
  });
});

for (const row of document.querySelectorAll(".action-row")) {
  const id = row.dataset.id;
  const message = row.querySelector(".action-message");
  row.querySelector(".action-rotate").addEventListener("click", () =>
    act(message, async () => {
      const rotated = await request("POST", `/api/v1/send-actions/${id}/rotate-secret`);
      showSecret(t("actions_secret_rotated", { name: rotated.name }), rotated.secret);
    }),
  );
  const toggle = row.querySelector(".action-toggle");
  toggle.addEventListener("click", () =>
    act(message, async () => {
      await request("PATCH", `/api/v1/send-actions/${id}`, {
        active: toggle.dataset.active !== "true",
      });
      window.location.reload();
    }),
  );
  row.querySelector(".row-actions").append(
    deleteControls({
      name: row.dataset.name,
      question: t("actions_delete_confirm", { name: row.dataset.name }),
      remove: async () => {
        await request("DELETE", `/api/v1/send-actions/${id}`);
        window.location.reload();
      },
    }),
  );
}
