// The composer's form dialog (<dialog id="form-dialog">) and its fields: a label, a
// character counter against Meta's limit, and an error line under each input. Errors from
// the server ({"fields": {"body.1": …}} or a "buttons[0].title: …" message) land beside the
// input they name; anything else shows at the bottom of the form.
import { element } from "./dom.js";
import { t } from "./i18n.js";

const dialog = document.getElementById("form-dialog");
const form = document.getElementById("dialog-form");
const title = document.getElementById("dialog-title");
const body = document.getElementById("dialog-body");
const formError = document.getElementById("dialog-error");
const submit = document.getElementById("dialog-submit");

let handler = null;
let counter = 0;

// "buttons[0].title" and "buttons.0.title" are the same field.
function normalize(name) {
  return String(name).replace(/\[(\d+)\]/g, ".$1");
}

function setError(input, message) {
  const wrap = input.closest(".field");
  const line = wrap && wrap.querySelector(".field-error");
  if (!line) return;
  line.textContent = message || "";
  line.hidden = !message;
  input.toggleAttribute("aria-invalid", Boolean(message));
  wrap.classList.toggle("invalid", Boolean(message));
}

function clearErrors() {
  for (const input of body.querySelectorAll("[data-field]")) setError(input, "");
  formError.hidden = true;
  formError.textContent = "";
}

function updateCounter(input) {
  const count = input.closest(".field")?.querySelector(".counter");
  if (!count) return;
  const length = [...input.value].length;
  count.textContent = `${length}/${input.dataset.max}`;
  count.classList.toggle("over", length > Number(input.dataset.max));
}

// A labelled input. check(value) may return an error message of its own.
export function field({
  name, label, max = 0, required = false, multiline = false, type = "text", placeholder = "",
  value = "", hint = "", check = null, attrs = {},
}) {  // prettier-ignore
  const wrap = element("div", "field");
  const id = `field-${++counter}`;
  const labelNode = element("label", null, label);
  labelNode.htmlFor = id;
  if (required) labelNode.append(element("span", "required-mark", " *"));
  const input = element(multiline ? "textarea" : "input");
  if (!multiline) input.type = type;
  if (multiline) input.rows = 3;
  input.id = id;
  input.dataset.field = normalize(name);
  input.placeholder = placeholder;
  input.value = value;
  for (const [key, attr] of Object.entries(attrs)) input.setAttribute(key, attr);
  input.required = required;
  const errorLine = element("p", "field-error");
  errorLine.id = `${id}-error`;
  errorLine.hidden = true;
  input.setAttribute("aria-describedby", errorLine.id);
  const top = element("div", "field-top");
  top.append(labelNode);
  if (max) {
    input.dataset.max = String(max);
    top.append(element("span", "counter", `0/${max}`));
  }
  wrap.append(top, input);
  if (hint) wrap.append(element("p", "field-hint", hint));
  wrap.append(errorLine);
  input.checker = check;
  input.addEventListener("input", () => {
    updateCounter(input);
    if (wrap.classList.contains("invalid")) setError(input, "");
  });
  updateCounter(input);
  return { wrap, input };
}

// Required, length and the field's own check; the first invalid input gets the focus.
export function validateDialog() {
  let first = null;
  for (const input of body.querySelectorAll("[data-field]")) {
    if (input.disabled || input.closest("[hidden]")) continue;
    const value = input.value.trim();
    let message = "";
    if (input.required && !value) message = t("field_required");
    else if (input.dataset.max && [...value].length > Number(input.dataset.max)) {
      message = t("field_too_long", { max: input.dataset.max });
    } else if (input.checker) message = input.checker(value) || "";
    setError(input, message);
    if (message && !first) first = input;
  }
  if (first) first.focus();
  return !first;
}

// An error on a field of this form: the field itself, or the nearest field it is part of.
export function fieldError(name, message) {
  let key = normalize(name);
  while (key) {
    const input = body.querySelector(`[data-field="${CSS.escape(key)}"]`);
    if (input) {
      setError(input, message);
      return true;
    }
    key = key.includes(".") ? key.slice(0, key.lastIndexOf(".")) : "";
  }
  return false;
}

export function showError(error) {
  let placed = false;
  for (const [name, message] of Object.entries(error.fields || {})) {
    placed = fieldError(name, String(message)) || placed;
  }
  const named = /^([\w.[\]]+): (.+)$/.exec(error.message || "");
  if (!placed && named) placed = fieldError(named[1], named[2]);
  if (!placed || !error.fields) {
    formError.textContent = error.message || t("error_generic");
    formError.hidden = placed;
  }
}

export function closeDialog() {
  handler = null;
  if (dialog.open) dialog.close();
  body.replaceChildren();
}

// onSubmit runs after the fields are valid; an error it throws is shown in the form.
export function openDialog({ heading, nodes, submitLabel = t("send"), onSubmit, kind = "" }) {
  clearErrors();
  title.textContent = heading;
  body.replaceChildren(...nodes);
  submit.textContent = submitLabel;
  submit.disabled = false;
  submit.hidden = !onSubmit;
  dialog.dataset.kind = kind;
  handler = onSubmit;
  if (!dialog.open) dialog.showModal();
  const first = body.querySelector("input:not([type=hidden]), textarea, select");
  if (first) first.focus();
}

export function setSubmitEnabled(enabled) {
  submit.disabled = !enabled;
}

export function dialogBody() {
  return body;
}

export function setupDialog() {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!handler || submit.disabled) return;
    clearErrors();
    if (!validateDialog()) return;
    submit.disabled = true;
    try {
      const keep = await handler();
      if (keep !== false) closeDialog();
    } catch (error) {
      showError(error);
    } finally {
      submit.disabled = false;
    }
  });
  for (const id of ["dialog-cancel", "dialog-close"]) {
    document.getElementById(id).addEventListener("click", closeDialog);
  }
  dialog.addEventListener("close", () => {
    handler = null;
  });
}
