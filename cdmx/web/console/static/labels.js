// Labels: the chips on inbox rows and in the conversation header, and the picker that sets
// a conversation's labels (the header's "Etiquetas" button, or the `l` shortcut): a
// checkbox per label, narrowed by typing, saved at once with
// PUT /api/v1/conversations/{id}/labels. Every console showing the conversation repaints
// from the conversation.updated event that follows.
import { api } from "./api.js";
import { element } from "./dom.js";
import { openDialog } from "./dialog.js";
import { t } from "./i18n.js";
import { putConversation } from "./store.js";

const button = document.getElementById("labels-button");
const headerChips = document.getElementById("conversation-labels");

let known = null; // every label, once read: [{id, name, color}]
let current = null;

async function allLabels() {
  if (known === null) {
    const data = await api.get("/api/v1/labels");
    known = data.labels || [];
  }
  return known;
}

// A label as a small chip: a dot of its colour beside its name (the name keeps the text
// colour, so its contrast never depends on the label's colour).
export function labelChips(labels) {
  const wrap = element("span", "label-chips");
  for (const label of labels || []) {
    const chip = element("span", "label-chip");
    const dot = element("span", "label-dot");
    dot.style.backgroundColor = label.color;
    dot.setAttribute("aria-hidden", "true");
    chip.append(dot, document.createTextNode(label.name));
    wrap.append(chip);
  }
  if (labels && labels.length) wrap.setAttribute("aria-label", t("labels_title"));
  return wrap;
}

export function renderHeaderLabels(conversation) {
  current = conversation;
  if (!headerChips) return;
  headerChips.replaceChildren(...labelChips(conversation?.labels).childNodes);
  if (button) button.hidden = !conversation;
}

async function openPicker() {
  const conversation = current;
  if (!conversation) return;
  let labels;
  try {
    known = null; // an admin may have added some since
    labels = await allLabels();
  } catch (error) {
    openDialog({ heading: t("labels_title"), nodes: [element("p", "muted", error.message)] });
    return;
  }
  const chosen = new Set((conversation.labels || []).map((label) => label.id));
  const filter = element("input", "labels-filter");
  filter.type = "search";
  filter.placeholder = t("labels_filter");
  filter.setAttribute("aria-label", t("labels_filter"));
  const list = element("div", "labels-options");
  list.setAttribute("role", "group");
  list.setAttribute("aria-label", t("labels_title"));
  const rows = labels.map((label) => {
    const row = element("label", "labels-option");
    const box = element("input");
    box.type = "checkbox";
    box.value = String(label.id);
    box.checked = chosen.has(label.id);
    const dot = element("span", "label-dot");
    dot.style.backgroundColor = label.color;
    dot.setAttribute("aria-hidden", "true");
    row.append(box, dot, document.createTextNode(label.name));
    row.dataset.name = label.name.toLowerCase();
    list.append(row);
    return row;
  });
  filter.addEventListener("input", () => {
    const typed = filter.value.trim().toLowerCase();
    for (const row of rows) row.hidden = typed !== "" && !row.dataset.name.includes(typed);
  });
  // Enter in the filter ticks the only (or first) label shown, rather than saving.
  filter.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    const shown = rows.find((row) => !row.hidden);
    if (!shown || filter.value.trim() === "") return;
    event.preventDefault();
    const box = shown.querySelector("input");
    box.checked = !box.checked;
    filter.value = "";
    filter.dispatchEvent(new Event("input"));
  });
  const nodes = labels.length ? [filter, list] : [element("p", "muted", t("labels_none"))];
  openDialog({
    heading: t("labels_title"),
    kind: "labels",
    submitLabel: t("labels_save"),
    nodes,
    onSubmit: labels.length
      ? async () => {
          const ids = [...list.querySelectorAll("input:checked")].map((box) => Number(box.value));
          const saved = await api.put(`/api/v1/conversations/${conversation.id}/labels`, {
            label_ids: ids,
          });
          if (saved) putConversation(saved);
        }
      : null,
  });
}

export function setupLabels() {
  if (button) button.addEventListener("click", openPicker);
}
