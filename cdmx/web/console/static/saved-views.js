// Saved views: each user's own named filters (GET|POST|DELETE /api/v1/views). A chip per view
// above the list applies it — the tab, the "Todas" filters, the order and the label — and is
// marked while the inbox shows exactly that; "Guardar vista" names what the inbox shows now.
import { api } from "./api.js";
import { element } from "./dom.js";
import { field, openDialog } from "./dialog.js";
import { applyFilters } from "./filters.js";
import { t } from "./i18n.js";
import { applyOrder } from "./order.js";
import { on, state } from "./store.js";
import { toast } from "./toast.js";

const MAX_NAME = 100;
const FILTER_KEYS = ["status", "queue_id", "assignee_id"]; // the "Todas" view's own

const bar = document.getElementById("saved-views");
let saved = [];
let apply = async () => {};

// What the inbox shows now, as a saved view's filters.
export function currentFilters() {
  const filters = { view: state.view, order: state.order };
  if (state.labelId != null) filters.label_id = state.labelId;
  if (state.view === "all") {
    for (const key of FILTER_KEYS) if (state.filters[key] != null) filters[key] = state.filters[key];
  }
  return filters;
}

function normalized(filters) {
  const view = filters.view || "mine";
  const shown = { view, order: filters.order || "recent", label_id: filters.label_id ?? null };
  for (const key of FILTER_KEYS) shown[key] = view === "all" ? (filters[key] ?? null) : null;
  return JSON.stringify(shown);
}

function chip(item) {
  const wrap = element("span", "saved-view");
  const open = element("button", "saved-view-open", item.name);
  open.type = "button";
  open.setAttribute("aria-pressed", "false");
  open.addEventListener("click", () => apply(item.filters));
  const remove = element("button", "saved-view-remove", "×");
  remove.type = "button";
  remove.setAttribute("aria-label", t("views_delete", { name: item.name }));
  remove.title = remove.getAttribute("aria-label");
  remove.addEventListener("click", async () => {
    try {
      await api.delete(`/api/v1/views/${item.id}`);
      saved = saved.filter((view) => view.id !== item.id);
      render();
      toast(t("views_deleted", { name: item.name }));
    } catch (error) {
      toast(error.message, { error: true });
    }
  });
  wrap.append(open, remove);
  return wrap;
}

// The chips, built again when the saved views change.
function render() {
  if (!bar) return;
  const save = element("button", "button small ghost saved-view-save", t("views_save"));
  save.type = "button";
  save.id = "save-view";
  save.addEventListener("click", openSaveForm);
  bar.replaceChildren(...saved.map(chip), save);
  mark();
}

// Which chip is what the inbox shows now (the focus stays where it is).
function mark() {
  if (!bar) return;
  const current = normalized(currentFilters());
  for (const [index, node] of bar.querySelectorAll(".saved-view-open").entries()) {
    node.setAttribute("aria-pressed", String(normalized(saved[index].filters) === current));
  }
}

function openSaveForm() {
  const name = field({ name: "name", label: t("views_name"), required: true, max: MAX_NAME });
  const filters = currentFilters();
  openDialog({
    heading: t("views_save_heading"),
    kind: "saved-view",
    nodes: [name.wrap, element("p", "field-hint", t("views_save_hint"))],
    submitLabel: t("views_save_submit"),
    onSubmit: async () => {
      const item = await api.post("/api/v1/views", { name: name.input.value.trim(), filters });
      saved = [...saved, item].sort((a, b) => a.name.localeCompare(b.name));
      render();
      toast(t("views_saved", { name: item.name }));
    },
  });
}

export function setupSavedViews({ onApply }) {
  if (!bar) return;
  apply = async (filters) => {
    applyFilters(filters);
    applyOrder(filters.order, filters.label_id);
    await onApply(filters.view || "mine");
    mark();
  };
  on("conversations", mark); // a filter or the order changed in its own control
  on("view", mark); // another tab
  render();
  api
    .get("/api/v1/views")
    .then((data) => {
      saved = data.views || [];
      render();
    })
    .catch(() => {}); // no chips then; saving still works
}
