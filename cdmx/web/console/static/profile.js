// The customer's profile beside the thread (the header's "Perfil" button, or `p`): the
// team's name for them (WhatsApp's shown apart), phone, e-mail, notes, the admin-defined
// fields, the conversation's labels, the ad they came from, and their previous
// conversations, each readable in a dialog. Fields save when they lose the focus
// (PATCH /api/v1/contacts/{id}); the panel stays open from one conversation to the next.
import { api } from "./api.js";
import { element } from "./dom.js";
import { openDialog } from "./dialog.js";
import { formatFull } from "./format.js";
import { t } from "./i18n.js";
import { labelChips } from "./labels.js";
import { isSupervisor, state } from "./store.js";
import { toast } from "./toast.js";

const OPEN_KEY = "cdmx.console.profile";
const panel = document.getElementById("profile-panel");
const body = document.getElementById("profile-body");
const button = document.getElementById("profile-button");
const closer = document.getElementById("profile-close");

let fields = null; // the admin-defined contact fields, read once
let shownFor = null; // the conversation id whose customer is shown

function isOpen() {
  return localStorage.getItem(OPEN_KEY) === "open";
}

function setOpen(open) {
  localStorage.setItem(OPEN_KEY, open ? "open" : "closed");
  panel.hidden = !open;
  button.setAttribute("aria-expanded", String(open));
  if (open) load(state.openId);
}

function row(label, node) {
  const wrap = element("div", "profile-row");
  wrap.append(element("dt", null, label), node);
  return wrap;
}

function editable(contact, name, value, { multiline = false, type = "text", label }) {
  const input = element(multiline ? "textarea" : "input", "profile-input");
  if (!multiline) input.type = type;
  else input.rows = 3;
  input.value = value || "";
  input.setAttribute("aria-label", label);
  input.dataset.field = name;
  input.addEventListener("change", async () => {
    const change = name.startsWith("attr:")
      ? { attributes: { [name.slice(5)]: input.value.trim() || null } }
      : { [name]: input.value };
    try {
      await api.patch(`/api/v1/contacts/${contact.id}`, change);
      toast(t("profile_saved"));
    } catch (error) {
      toast(error.message, { error: true });
    }
  });
  const dd = element("dd");
  dd.append(input);
  return dd;
}

function text(value) {
  return element("dd", null, value || "—");
}

function historyList(conversations) {
  const list = element("ul", "profile-history");
  for (const past of conversations) {
    const item = element("li");
    const open = element("button", "profile-past");
    open.type = "button";
    const who = past.handled_by.length ? past.handled_by.join(", ") : t("profile_nobody");
    const ended = past.ended === "closed" ? t("status_closed") : t(`status_${past.status}`);
    open.append(
      element("strong", null, formatFull(past.created_at)),
      element("span", "muted", ` · ${past.number || ""} · ${who} · ${ended}`),
    );
    if (past.id === state.openId) open.disabled = true;
    open.addEventListener("click", () => readPast(past));
    item.append(open);
    list.append(item);
  }
  return list;
}

async function readPast(past) {
  let data;
  try {
    data = await api.get(`/api/v1/conversations/${past.id}/messages`);
  } catch (error) {
    toast(error.message, { error: true });
    return;
  }
  const list = element("ol", "profile-read");
  for (const message of data.messages || []) {
    const line = element("li", `profile-line ${message.direction}`);
    const who =
      message.direction === "inbound"
        ? past.contact?.name || ""
        : message.author?.name || t("system_prefix").replace(/:\s*$/, "");
    line.append(
      element("span", "muted", `${formatFull(message.created_at)} · ${who}`),
      element("p", null, message.text || message.summary || ""),
    );
    list.append(line);
  }
  openDialog({
    heading: t("profile_past_title", { date: formatFull(past.created_at) }),
    kind: "history",
    nodes: [list],
  });
}

function render(contact, history, conversation) {
  const list = element("dl", "profile-fields");
  list.append(
    row(t("profile_name"), editable(contact, "name", contact.display_name || contact.name, {
      label: t("profile_name"),
    })),
  );
  // WhatsApp's own name, always beside the team's (it changes when the customer changes it).
  if (contact.profile_name) list.append(row(t("profile_whatsapp_name"), text(contact.profile_name)));
  list.append(
    row(t("profile_phone"), text(contact.phone)),
    row(t("profile_email"), editable(contact, "email", contact.email, {
      type: "email", label: t("profile_email"),
    })),
    row(t("profile_notes"), editable(contact, "notes", contact.notes, {
      multiline: true, label: t("profile_notes"),
    })),
  );  // prettier-ignore
  for (const field of fields || []) {
    list.append(
      row(field.label, editable(contact, `attr:${field.key}`, contact.attributes[field.key], {
        label: field.label,
      })),
    );
  }
  const labels = element("dd");
  labels.append(labelChips(conversation?.labels || []));
  list.append(row(t("labels_title"), labels));
  if (contact.referral) {
    const ad = contact.referral.headline || contact.referral.body || contact.referral.source_url;
    list.append(row(t("profile_referral"), text(ad)));
  }
  for (const other of contact.merged || []) {
    list.append(row(t("profile_other_number"), text(`${other.phone || other.wa_id} · ${other.name}`)));
  }
  const nodes = [list];
  if (isSupervisor()) {
    const merge = element("button", "button small", t("profile_merge"));
    merge.type = "button";
    merge.addEventListener("click", () => {
      document.dispatchEvent(new CustomEvent("cdmx:merge", { detail: { contactId: contact.id } }));
    });
    nodes.push(merge);
  }
  nodes.push(element("h3", null, t("profile_history")), historyList(history));
  body.replaceChildren(...nodes);
}

async function load(conversationId) {
  if (panel.hidden || conversationId == null) return;
  const conversation = state.conversations.get(conversationId);
  const contactId = conversation?.contact?.merged_into_id || conversation?.contact?.id;
  if (!contactId) return;
  shownFor = conversationId;
  try {
    if (fields === null) fields = (await api.get("/api/v1/contact-fields")).fields || [];
    const [contact, history] = await Promise.all([
      api.get(`/api/v1/contacts/${contactId}`),
      api.get(`/api/v1/contacts/${contactId}/conversations`),
    ]);
    if (shownFor !== conversationId) return;
    render(contact, history.conversations || [], conversation);
  } catch (error) {
    body.replaceChildren(element("p", "muted", error.message));
  }
}

export function setupProfile() {
  if (!panel) return;
  button.addEventListener("click", () => setOpen(panel.hidden));
  closer.addEventListener("click", () => {
    setOpen(false);
    button.focus();
  });
  panel.hidden = !isOpen();
  button.setAttribute("aria-expanded", String(isOpen()));
  document.addEventListener("cdmx:open", (event) => {
    if (event.detail.id != null) load(event.detail.id);
  });
  document.addEventListener("cdmx:contact-merged", () => load(state.openId));
  document.addEventListener("cdmx:event", (event) => {
    const { type, data } = event.detail;
    // Someone renamed or labelled this customer's conversation: show it (unless the agent
    // is in one of the panel's fields).
    if (type === "conversation.updated" && data.conversation?.id === state.openId) {
      if (!panel.contains(document.activeElement)) load(state.openId);
    }
  });
}
