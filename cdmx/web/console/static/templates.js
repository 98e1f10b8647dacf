// The template picker: search approved templates by name, fill each variable (header text
// or media link, body, URL button suffix) with the preview filled in live, and send. Used in
// a conversation (to re-open a closed window) and by the new-conversation dialog.
import { api } from "./api.js";
import { element } from "./dom.js";
import { dialogBody, field, openDialog } from "./dialog.js";
import { t } from "./i18n.js";
import { safeHref } from "./links.js";
import { sendForm } from "./outgoing.js";

const MEDIA_HEADERS = new Set(["IMAGE", "VIDEO", "DOCUMENT"]);
const PLACEHOLDER = /\{\{\s*([\w]+)\s*\}\}/g;

function paramName(param) {
  if (param && typeof param === "object") return String(param.name ?? param.key ?? param.index ?? "");
  return String(param);
}

function paramExample(param) {
  return param && typeof param === "object" && param.example ? String(param.example) : "";
}

async function loadTemplates() {
  try {
    const data = await api.get("/api/v1/templates?status=APPROVED");
    return { templates: data.templates || [] };
  } catch (error) {
    return { error: error.status === 404 ? t("templates_unavailable") : error.message };
  }
}

// The text with each {{name}} replaced by what the agent typed (or left visible, marked).
function filled(text, values) {
  const fragment = document.createDocumentFragment();
  let last = 0;
  for (const match of String(text || "").matchAll(PLACEHOLDER)) {
    fragment.append(document.createTextNode(text.slice(last, match.index)));
    const value = values[match[1]];
    fragment.append(element("mark", value ? "filled" : "empty", value || match[0]));
    last = match.index + match[0].length;
  }
  fragment.append(document.createTextNode(String(text || "").slice(last)));
  return fragment;
}

function component(template, type) {
  return (template.components || []).find((part) => String(part.type).toUpperCase() === type) || null;
}

// The inputs a template needs, in order, and a function building its params from them.
function variableFields(template) {
  const variables = template.variables || {};
  const header = variables.header || {};
  const fields = [];
  let headerField = null;
  if (MEDIA_HEADERS.has(header.format)) {
    headerField = field({
      name: "header", label: t(`template_header_${header.format.toLowerCase()}`), required: true,
      type: "url", placeholder: "https:", hint: t("template_header_link_hint"),
      check: (value) => (safeHref(value) ? null : t("field_url")),
    });  // prettier-ignore
    fields.push(headerField.wrap);
  } else if ((header.params || []).length) {
    const name = paramName(header.params[0]);
    headerField = field({ name: "header", label: t("template_header_text", { name }), required: true, max: 60, placeholder: paramExample(header.params[0]) });
    headerField.param = name;
    fields.push(headerField.wrap);
  }
  const body = (variables.body || []).map((param) => {
    const name = paramName(param);
    const input = field({ name: `body.${name}`, label: t("template_variable", { name }), required: true, max: 1024, placeholder: paramExample(param) });
    fields.push(input.wrap);
    return { name, input: input.input };
  });
  const buttons = [];
  for (const button of variables.buttons || []) {
    if (!(button.params || []).length) continue;
    const input = field({
      name: `buttons.${button.index}`, label: t("template_button_suffix", { text: button.text || "" }),
      required: true, max: 2000, hint: button.url || "", placeholder: paramExample(button.params[0]),
    });  // prettier-ignore
    fields.push(input.wrap);
    buttons.push({ index: String(button.index), input: input.input });
  }
  const values = () => {
    const out = {};
    for (const { name, input } of body) out[name] = input.value.trim();
    return out;
  };
  const params = () => {
    const out = {};
    if (headerField) {
      const value = headerField.input.value.trim();
      out.header = MEDIA_HEADERS.has(header.format) ? { link: value } : { text: value };
    }
    if (body.length) out.body = values();
    if (buttons.length) out.buttons = Object.fromEntries(buttons.map((b) => [b.index, b.input.value.trim()]));
    return out;
  };
  const headerValues = () => (headerField && headerField.param ? { [headerField.param]: headerField.input.value.trim() } : {});
  return { fields, params, values, headerValues, header };
}

function previewBox(template, form) {
  const box = element("div", "template-preview bubble-like");
  box.setAttribute("aria-live", "polite");
  const draw = () => {
    const nodes = [];
    const header = component(template, "HEADER");
    if (MEDIA_HEADERS.has(form.header.format)) {
      nodes.push(element("p", "preview-media", `🖼 ${t(`template_header_${form.header.format.toLowerCase()}`)}`));
    } else if (header && header.text) {
      const line = element("p", "preview-header");
      line.append(filled(header.text, form.headerValues()));
      nodes.push(line);
    }
    const body = element("p", "preview-body");
    body.append(filled(template.preview || component(template, "BODY")?.text || "", form.values()));
    nodes.push(body);
    const footer = component(template, "FOOTER");
    if (footer && footer.text) nodes.push(element("p", "preview-footer muted", footer.text));
    const buttons = template.variables?.buttons || [];
    if (buttons.length) {
      const row = element("div", "preview-buttons");
      for (const button of buttons) row.append(element("span", "preview-button", button.text || ""));
      nodes.push(row);
    }
    box.replaceChildren(...nodes);
  };
  draw();
  return { box, draw };
}

function templateItem(template, onPick) {
  const item = element("button", "template-item");
  item.type = "button";
  item.dataset.templateId = String(template.id);
  item.append(
    element("span", "template-name", template.name),
    element("span", "template-meta muted", `${template.language} · ${t(`template_category_${String(template.category).toLowerCase()}`)}`),
  );
  item.addEventListener("click", () => onPick(template));
  return item;
}

// extra: inputs shown above the picker (the new-conversation dialog's phone and number).
// send(template, params) posts it and returns a promise; its errors show in the form.
export function openTemplatePicker({ heading = t("template_pick"), extra = [], send }) {
  let chosen = null;
  let form = null;
  const search = element("input", "template-search");
  search.type = "search";
  search.placeholder = t("template_search");
  search.setAttribute("aria-label", t("template_search"));
  const list = element("div", "template-list");
  list.setAttribute("role", "list");
  const detail = element("div", "template-detail");
  const status = element("p", "muted template-status", t("loading"));
  let templates = [];

  const renderList = () => {
    const query = search.value.trim().toLowerCase();
    const shown = templates.filter((template) => template.name.toLowerCase().includes(query));
    list.replaceChildren(...shown.map((template) => templateItem(template, pick)));
    for (const item of list.children) item.classList.toggle("selected", chosen && item.dataset.templateId === String(chosen.id));
    status.hidden = shown.length > 0;
    status.textContent = templates.length ? t("template_none_match") : t("template_none");
  };
  function pick(template) {
    chosen = template;
    form = variableFields(template);
    const preview = previewBox(template, form);
    detail.replaceChildren(
      element("h3", "template-title", template.name),
      element("p", "template-meta muted", `${template.language} · ${t(`template_category_${String(template.category).toLowerCase()}`)}`),
      ...form.fields,
      element("p", "preview-label", t("template_preview")),
      preview.box,
    );
    detail.oninput = preview.draw;
    renderList();
    const first = detail.querySelector("input, textarea");
    if (first) first.focus();
  }
  search.addEventListener("input", renderList);

  openDialog({
    heading,
    kind: "template",
    nodes: [...extra, search, status, list, detail],
    onSubmit: () => {
      if (!chosen) throw new Error(t("template_pick_first"));
      return send(chosen, form.params());
    },
  });
  loadTemplates().then((result) => {
    if (!dialogBody().contains(list)) return;
    if (result.error) {
      status.textContent = result.error;
      status.classList.add("form-error");
      return;
    }
    templates = result.templates;
    renderList();
  });
}

export function openConversationTemplate(conversation) {
  openTemplatePicker({
    send: (template, params) => sendForm(conversation.id, { type: "template", template_id: template.id, params }),
  });
}
