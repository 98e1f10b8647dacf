// "Enviar a…": the header's button lists the business's systems (GET /api/v1/send-actions);
// choosing one pushes the open conversation to it (POST …/send-to/{action}) and waits for
// the answer. A success closes the dialog and says what the system returned (its reference
// also arrives in the thread as a note); a failure shows the system's status and words, with
// "Reintentar" (the same request id, so the system can tell a retry from a new push).
import { api } from "./api.js";
import { element } from "./dom.js";
import { closeDialog, dialogBody, openDialog } from "./dialog.js";
import { t } from "./i18n.js";
import { toast } from "./toast.js";

const button = document.getElementById("send-to-button");
let actions = [];
let openId = null;

function render() {
  if (button) button.hidden = openId == null || actions.length === 0;
}

async function load() {
  try {
    const data = await api.get("/api/v1/send-actions");
    actions = (data.actions || []).filter((action) => action.active);
  } catch {
    actions = [];
  }
  render();
}

function failure(run) {
  if (run.status_code == null) {
    return t("sendto_no_answer", { name: run.action_name, error: run.error || "—" });
  }
  return t("sendto_refused", { name: run.action_name, code: run.status_code });
}

async function push(conversationId, action, status, retryOf = null) {
  const box = dialogBody();
  for (const node of box.querySelectorAll("button")) node.disabled = true;
  status.textContent = t("sendto_sending", { name: action.name });
  let run;
  try {
    const body = retryOf == null ? {} : { retry_of: retryOf };
    run = (await api.post(`/api/v1/conversations/${conversationId}/send-to/${action.id}`, body)).run;
  } catch (error) {
    status.textContent = error.message;
    for (const node of box.querySelectorAll("button")) node.disabled = false;
    return;
  }
  if (run.status === "sent") {
    closeDialog();
    toast(
      run.reference
        ? t("sendto_done_reference", { name: run.action_name, reference: run.reference })
        : t("sendto_done", { name: run.action_name }),
    );
    button.focus();
    return;
  }
  const answer = element("div", "sendto-failure");
  answer.setAttribute("role", "alert");
  answer.append(element("p", null, failure(run)));
  if (run.response) answer.append(element("pre", "sendto-response", run.response));
  const retry = element("button", "button primary", t("sendto_retry"));
  retry.type = "button";
  retry.addEventListener("click", () => push(conversationId, action, status, run.id));
  answer.append(retry);
  status.replaceChildren(answer);
  for (const node of box.querySelectorAll(".sendto-option")) node.disabled = false;
  retry.focus();
}

function openChooser() {
  const conversationId = openId;
  if (conversationId == null) return;
  const status = element("div", "sendto-status");
  status.setAttribute("aria-live", "polite");
  const list = element("div", "sendto-list");
  for (const action of actions) {
    const choice = element("button", "button sendto-option", t("sendto_action", { name: action.name }));
    choice.type = "button";
    choice.addEventListener("click", () => push(conversationId, action, status));
    list.append(choice);
  }
  openDialog({
    heading: t("sendto_heading"),
    kind: "send-to",
    nodes: [element("p", "field-hint", t("sendto_hint")), list, status],
  });
}

export function setupSendTo() {
  if (!button) return;
  button.addEventListener("click", async () => {
    await load(); // an admin may have added or turned off one since
    if (actions.length) openChooser();
  });
  document.addEventListener("cdmx:open", (event) => {
    openId = event.detail ? event.detail.id : null;
    render();
  });
  load();
}
