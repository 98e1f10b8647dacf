// Interactive messages: reply buttons (1–3) and a list (rows in one section), with Meta's
// limits checked as the agent types (the same numbers as cdmx/whatsapp/outgoing.py).
import { element } from "./dom.js";
import { field, openDialog } from "./dialog.js";
import { t } from "./i18n.js";
import { sendForm } from "./outgoing.js";

const LIMITS = {
  buttonBody: 1024, buttonTitle: 20, maxButtons: 3, listBody: 4096, listButton: 20,
  sectionTitle: 24, rowTitle: 24, rowDescription: 72, maxRows: 10, header: 60, footer: 60,
};  // prettier-ignore

function headerFooter() {
  const header = field({ name: "header", label: t("interactive_header"), max: LIMITS.header });
  const footer = field({ name: "footer", label: t("interactive_footer"), max: LIMITS.footer });
  return { header, footer };
}

function optional(input) {
  return input.value.trim() || null;
}

// Titles must differ (case-insensitive), as WhatsApp refuses duplicates.
function distinct(inputs) {
  return (value) => {
    if (!value) return null;
    const same = inputs.filter((other) => other.value.trim().toLowerCase() === value.toLowerCase());
    return same.length > 1 ? t("field_duplicate") : null;
  };
}

export function openButtonsForm(conversation) {
  const body = field({ name: "body", label: t("interactive_body"), required: true, multiline: true, max: LIMITS.buttonBody });
  const titles = [];
  const buttons = [];
  for (let index = 0; index < LIMITS.maxButtons; index += 1) {
    const button = field({
      name: `buttons.${index}.title`,
      label: t("buttons_title", { n: index + 1 }),
      required: index === 0,
      max: LIMITS.buttonTitle,
    });
    titles.push(button.input);
    buttons.push(button);
  }
  for (const input of titles) input.checker = distinct(titles);
  const { header, footer } = headerFooter();
  const group = element("fieldset", "field-group");
  group.append(element("legend", null, t("buttons_legend")), ...buttons.map((b) => b.wrap));
  openDialog({
    heading: t("menu_buttons"),
    kind: "buttons",
    nodes: [body.wrap, group, header.wrap, footer.wrap],
    onSubmit: () =>
      sendForm(conversation.id, {
        type: "buttons",
        body: body.input.value.trim(),
        buttons: titles.filter((input) => input.value.trim()).map((input) => ({ title: input.value.trim() })),
        header: optional(header.input),
        footer: optional(footer.input),
      }),
  });
}

function rowFields(index) {
  const row = element("div", "list-row");
  const title = field({ name: `sections.0.rows.${index}.title`, label: t("list_row_title", { n: index + 1 }), required: true, max: LIMITS.rowTitle });
  const description = field({ name: `sections.0.rows.${index}.description`, label: t("list_row_description"), max: LIMITS.rowDescription });
  row.append(title.wrap, description.wrap);
  return { row, title: title.input, description: description.input };
}

export function openListForm(conversation) {
  const body = field({ name: "body", label: t("interactive_body"), required: true, multiline: true, max: LIMITS.listBody });
  const button = field({ name: "button", label: t("list_button"), required: true, max: LIMITS.listButton, placeholder: t("list_button_placeholder") });
  const section = field({ name: "sections.0.title", label: t("list_section_title"), max: LIMITS.sectionTitle });
  const rows = [];
  const rowBox = element("fieldset", "field-group list-rows");
  rowBox.append(element("legend", null, t("list_rows_legend", { max: LIMITS.maxRows })));
  const add = element("button", "button small add-row", t("list_add_row"));
  add.type = "button";
  const addRow = () => {
    const row = rowFields(rows.length);
    rows.push(row);
    rowBox.insertBefore(row.row, add);
    add.disabled = rows.length >= LIMITS.maxRows;
    return row;
  };
  rowBox.append(add);
  add.addEventListener("click", () => addRow().title.focus());
  addRow();
  const { header, footer } = headerFooter();
  openDialog({
    heading: t("menu_list"),
    kind: "list",
    nodes: [body.wrap, button.wrap, section.wrap, rowBox, header.wrap, footer.wrap],
    onSubmit: () =>
      sendForm(conversation.id, {
        type: "list",
        body: body.input.value.trim(),
        button: button.input.value.trim(),
        sections: [{
          title: optional(section.input),
          rows: rows.map((row) => ({ title: row.title.value.trim(), description: optional(row.description) })),
        }],
        header: optional(header.input),
        footer: optional(footer.input),
      }),
  });
}
