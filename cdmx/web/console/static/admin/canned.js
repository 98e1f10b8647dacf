// The quick replies page (everyone signed in): the replies the user may use, from
// GET /api/v1/canned-responses; a form to add one (personal, or — admins and supervisors —
// shared for every queue or one queue); edit and delete on the rows the user may manage.
// After each change the list is read again, so what it shows is what the server has.
import { request } from "../api.js";
import { element } from "../dom.js";
import { boot, t } from "../i18n.js";
import { deleteControls } from "./confirm.js";

const SHORTCUT = /^[a-z0-9_-]{1,32}$/;
const TEXT_MAX = 4096;

const user = boot.user || { id: null, role: "agent" };
const queueNames = new Map((boot.queues || []).map((queue) => [queue.id, queue.name]));
const myQueues = new Set(boot.my_queue_ids || []);

const status = document.getElementById("canned-status");
const table = document.getElementById("canned-table");
const rows = document.getElementById("canned-rows");
const addForm = document.getElementById("canned-form");
const personalBox = document.getElementById("canned-personal");
const queueSelect = document.getElementById("canned-queue"); // admins and supervisors only

// As the server decides: the owner a personal one; an admin any shared one; a supervisor
// the shared ones for every queue and for their queues.
function mayManage(item) {
  if (item.owner_id != null) return item.owner_id === user.id;
  if (user.role === "admin") return true;
  return user.role === "supervisor" && (item.queue_id == null || myQueues.has(item.queue_id));
}

function scopeOf(item) {
  if (item.owner_id != null) return t("canned_personal");
  if (item.queue_id == null) return t("canned_every_queue");
  return queueNames.get(item.queue_id) || t("canned_queue_unknown", { id: item.queue_id });
}

// The form's complaint about its own fields, or "" when they may go to the server.
function problem(shortcut, text) {
  if (!SHORTCUT.test(shortcut)) return t("canned_shortcut_hint");
  if (!text.trim()) return t("field_required");
  if ([...text].length > TEXT_MAX) return t("field_too_long", { max: TEXT_MAX });
  return "";
}

function say(form, message) {
  form.querySelector(".form-message").textContent = message;
}

function labelled(text, input) {
  const label = element("label", null, text);
  label.append(input);
  return label;
}

function queueOptions(selected) {
  const select = element("select");
  select.name = "queue_id";
  for (const source of queueSelect.options) {
    const option = element("option", null, source.textContent);
    option.value = source.value;
    option.selected = source.value === (selected == null ? "" : String(selected));
    option.defaultSelected = option.selected;
    select.append(option);
  }
  return select;
}

function editForm(item) {
  const form = element("form", "admin-form canned-edit");
  form.dataset.id = String(item.id);
  form.noValidate = true;
  const shortcut = element("input");
  shortcut.name = "shortcut";
  shortcut.maxLength = 32;
  shortcut.required = true;
  shortcut.autocomplete = "off";
  shortcut.spellcheck = false;
  shortcut.defaultValue = item.shortcut;
  const text = element("textarea");
  text.name = "text";
  text.maxLength = TEXT_MAX;
  text.rows = 4;
  text.required = true;
  text.defaultValue = item.text;
  form.append(labelled(t("canned_shortcut"), shortcut), labelled(t("canned_text"), text));
  // A shared one may move to another queue of the user's; a personal one stays personal.
  if (item.owner_id == null && queueSelect) {
    form.append(labelled(t("canned_queue"), queueOptions(item.queue_id)));
  }
  const save = element("button", "button primary", t("canned_save"));
  save.type = "submit";
  const actions = element("div", "form-actions");
  actions.append(save, element("p", "form-message"));
  actions.lastChild.setAttribute("role", "status");
  form.append(actions);
  shortcut.addEventListener("input", () => (shortcut.value = shortcut.value.toLowerCase()));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    saveChanges(form, item);
  });
  return form;
}

async function saveChanges(form, item) {
  const { shortcut, text, queue_id: queue } = form.elements;
  const body = {};
  const newShortcut = shortcut.value.trim().toLowerCase();
  if (newShortcut !== item.shortcut) body.shortcut = newShortcut;
  if (text.value !== item.text) body.text = text.value;
  if (queue && queue.value !== (item.queue_id == null ? "" : String(item.queue_id))) {
    body.queue_id = queue.value === "" ? null : Number(queue.value);
  }
  say(form, "");
  if (Object.keys(body).length === 0) {
    say(form, t("canned_no_changes"));
    return;
  }
  const complaint = problem(newShortcut, text.value);
  if (complaint) {
    say(form, complaint);
    return;
  }
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const saved = await request("PATCH", `/api/v1/canned-responses/${item.id}`, body);
    await load(t("canned_saved", { shortcut: saved?.shortcut ?? newShortcut }));
  } catch (error) {
    say(form, error.message);
    button.disabled = false;
  }
}

// "Eliminar" asks first, in the row: "¿Eliminar /saludo? [Sí, eliminar] [Cancelar]".
function deleteItem(item) {
  return deleteControls({
    name: `/${item.shortcut}`,
    question: t("canned_delete_confirm", { shortcut: item.shortcut }),
    remove: async () => {
      await request("DELETE", `/api/v1/canned-responses/${item.id}`);
      await load(t("canned_deleted", { shortcut: item.shortcut }));
    },
  });
}

// The file a reply sends with its text: its name, and (for who manages it) a file input to
// attach or replace it and a button to remove it. Uploaded at once (PUT …/attachment).
function attachmentCell(item) {
  const cell = element("td", "canned-file-cell");
  cell.dataset.label = t("canned_file");
  const file = item.attachment;
  if (file) {
    cell.append(element("span", "canned-file-name", `📎 ${file.filename || t("canned_file")}`));
  }
  if (!mayManage(item)) return cell;
  const message = element("p", "form-message");
  message.setAttribute("role", "status");
  const input = element("input", "visually-hidden");
  input.type = "file";
  input.id = `canned-file-${item.id}`;
  const pick = element("label", "button small", file ? t("canned_file_replace") : t("canned_file_add"));
  pick.htmlFor = input.id;
  pick.tabIndex = 0;
  pick.append(element("span", "visually-hidden", ` /${item.shortcut}`));
  pick.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      input.click();
    }
  });
  input.addEventListener("change", async () => {
    const chosen = input.files && input.files[0];
    if (!chosen) return;
    const form = new FormData();
    form.append("file", chosen, chosen.name);
    message.textContent = t("canned_file_uploading");
    try {
      await request("PUT", `/api/v1/canned-responses/${item.id}/attachment`, form);
      await load(t("canned_file_saved", { shortcut: item.shortcut }));
    } catch (error) {
      message.textContent = error.message;
    }
  });
  cell.append(input, pick);
  if (file) {
    const remove = element("button", "button small danger-text", t("canned_file_remove"));
    remove.type = "button";
    remove.append(element("span", "visually-hidden", ` /${item.shortcut}`));
    remove.addEventListener("click", async () => {
      try {
        await request("DELETE", `/api/v1/canned-responses/${item.id}/attachment`);
        await load(t("canned_file_removed", { shortcut: item.shortcut }));
      } catch (error) {
        message.textContent = error.message;
      }
    });
    cell.append(remove);
  }
  cell.append(message);
  return cell;
}

function row(item) {
  const tr = element("tr", "canned-row");
  tr.dataset.id = String(item.id);
  tr.dataset.shortcut = item.shortcut;
  tr.dataset.scope = item.owner_id != null ? "personal" : item.queue_id == null ? "all" : "queue";
  const shortcut = element("td", "canned-shortcut-cell");
  shortcut.dataset.label = t("canned_shortcut");
  shortcut.append(element("code", null, `/${item.shortcut}`));
  const text = element("td", "canned-text-cell", item.text);
  text.dataset.label = t("canned_text");
  const scope = element("td", "canned-scope-cell", scopeOf(item));
  scope.dataset.label = t("canned_scope");
  const actions = element("td", "canned-actions-cell");
  if (mayManage(item)) {
    const details = element("details", "row-edit");
    const summary = element("summary", "button small", t("canned_edit"));
    summary.append(element("span", "visually-hidden", ` /${item.shortcut}`));
    details.append(summary, editForm(item));
    const wrap = element("div", "canned-actions");
    wrap.append(details, deleteItem(item));
    actions.append(wrap);
  }
  tr.append(shortcut, text, attachmentCell(item), scope, actions);
  return tr;
}

async function load(done = "") {
  let items;
  try {
    const data = await request("GET", "/api/v1/canned-responses");
    items = data?.canned_responses || [];
  } catch (error) {
    status.textContent = t("canned_load_failed", { error: error.message });
    return;
  }
  rows.replaceChildren(...items.map(row));
  table.hidden = items.length === 0;
  status.textContent = done || (items.length ? "" : t("canned_none_yet"));
}

function created() {
  const { shortcut, text } = addForm.elements;
  const personal = personalBox.checked;
  const body = { shortcut: shortcut.value.trim().toLowerCase(), text: text.value, personal };
  if (!personal && queueSelect && queueSelect.value !== "") body.queue_id = Number(queueSelect.value);
  return body;
}

function setupAddForm() {
  const { shortcut } = addForm.elements;
  shortcut.addEventListener("input", () => (shortcut.value = shortcut.value.toLowerCase()));
  if (queueSelect) {
    personalBox.addEventListener("change", () => (queueSelect.disabled = personalBox.checked));
  }
  addForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = created();
    say(addForm, "");
    const complaint = problem(body.shortcut, body.text);
    if (complaint) {
      say(addForm, complaint);
      (SHORTCUT.test(body.shortcut) ? addForm.elements.text : shortcut).focus();
      return;
    }
    const button = document.getElementById("canned-submit");
    button.disabled = true;
    try {
      const item = await request("POST", "/api/v1/canned-responses", body);
      addForm.reset();
      if (queueSelect) queueSelect.disabled = personalBox.checked;
      await load(t("canned_created", { shortcut: item?.shortcut ?? body.shortcut }));
    } catch (error) {
      say(addForm, error.message);
    } finally {
      button.disabled = false;
    }
  });
}

setupAddForm();
load();
