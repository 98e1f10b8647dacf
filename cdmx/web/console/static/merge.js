// "Unir con otro contacto": the profile panel dispatches "cdmx:merge" {contactId}; this
// dialog searches the other contact (GET /api/v1/contacts?q=), shows both side by side
// (name, phone, conversations) and, confirmed, merges them (POST …/merge). Then
// "cdmx:contact-merged" {contactId} tells the rest of the console, and a toast says so.
import { api } from "./api.js";
import { closeDialog, field, openDialog, setSubmitEnabled } from "./dialog.js";
import { element } from "./dom.js";
import { t } from "./i18n.js";
import { toast } from "./toast.js";

const DEBOUNCE_MS = 250;

function summary(contact) {
  const card = element("div", "merge-card");
  card.append(
    element("strong", null, contact.name || contact.phone || ""),
    element("span", null, contact.phone || contact.user_id || ""),
    element("span", null, t("merge_conversations", { count: contact.conversation_count ?? 0 })),
  );
  return card;
}

async function contactById(id) {
  const data = await api.get(`/api/v1/contacts?id=${id}`);
  return (data.contacts || []).find((c) => c.id === id) || null;
}

export async function openMerge(contactId) {
  let kept = null;
  try {
    kept = await contactById(contactId);
  } catch {
    kept = null;
  }
  let picked = null;
  let timer = 0;
  const { wrap, input } = field({ name: "q", label: t("merge_search"), type: "search" });
  const hint = element("p", "field-hint", t("merge_pick"));
  const results = element("ul", "merge-results");
  results.setAttribute("role", "listbox");
  results.setAttribute("aria-label", t("search_customers"));
  const both = element("div", "merge-both");
  if (kept) both.append(summary(kept));

  const pick = (contact, button) => {
    picked = contact;
    for (const other of results.querySelectorAll("button")) {
      other.setAttribute("aria-selected", String(other === button));
    }
    both.replaceChildren(...[kept, contact].filter(Boolean).map(summary));
    setSubmitEnabled(true);
  };
  const search = async () => {
    const q = input.value.trim();
    if (q.length < 2) return results.replaceChildren();
    const data = await api.get(`/api/v1/contacts?${new URLSearchParams({ q })}`);
    const items = (data.contacts || []).filter((c) => c.id !== contactId).slice(0, 8);
    results.replaceChildren(
      ...items.map((contact) => {
        const item = element("li");
        const button = element("button", "button merge-option");
        button.type = "button";
        button.setAttribute("role", "option");
        button.setAttribute("aria-selected", "false");
        button.append(`${contact.name} · ${contact.phone || contact.user_id || ""}`);
        button.addEventListener("click", () => pick(contact, button));
        item.append(button);
        return item;
      }),
    );
  };
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => search().catch(() => {}), DEBOUNCE_MS);
  });

  openDialog({
    heading: t("merge_title"),
    nodes: [hint, wrap, results, both],
    submitLabel: t("merge_confirm"),
    kind: "merge",
    onSubmit: async () => {
      if (!picked) return false;
      await api.post(`/api/v1/contacts/${contactId}/merge`, { other_id: picked.id });
      closeDialog();
      document.dispatchEvent(new CustomEvent("cdmx:contact-merged", { detail: { contactId } }));
      toast(t("merge_done"));
      return false;
    },
  });
  setSubmitEnabled(false);
}

export function setupMerge() {
  document.addEventListener("cdmx:merge", (event) => {
    const id = Number(event.detail?.contactId);
    if (id) openMerge(id);
  });
}
