// "Nueva conversación": write first to a phone number with a template (the only thing
// WhatsApp lets a business send first), from one of the business's numbers.
import { api } from "./api.js";
import { element } from "./dom.js";
import { field } from "./dialog.js";
import { t } from "./i18n.js";
import { newLocalId } from "./outgoing.js";
import { putConversation, state } from "./store.js";
import { openTemplatePicker } from "./templates.js";

// The numbers seen on loaded conversations, completed by /api/v1/numbers when it exists.
async function knownNumbers() {
  const numbers = new Map();
  for (const conversation of state.conversations.values()) {
    if (conversation.number_id != null) {
      numbers.set(String(conversation.number_id), conversation.number || String(conversation.number_id));
    }
  }
  try {
    const data = await api.get("/api/v1/numbers");
    for (const number of data.numbers || []) numbers.set(String(number.id), number.display || String(number.id));
  } catch {
    // Not there yet (404) or not allowed: the conversations' numbers will do.
  }
  return numbers;
}

function digits(value) {
  return value.replace(/[\s()+.-]/g, "");
}

function numberSelect(numbers) {
  const wrap = element("div", "field");
  const label = element("label", null, t("newchat_number"));
  const select = element("select");
  select.id = "newchat-number";
  label.htmlFor = select.id;
  for (const [id, display] of numbers) {
    const option = element("option", null, display);
    option.value = id;
    select.append(option);
  }
  wrap.append(label, select);
  wrap.hidden = numbers.size < 2;
  return { wrap, select };
}

export async function openNewConversation(onOpen) {
  const numbers = await knownNumbers();
  const number = numberSelect(numbers);
  const phone = field({
    name: "wa_id", label: t("newchat_phone"), required: true, type: "tel",
    placeholder: "+52 55 1234 5678", hint: t("newchat_phone_hint"),
    check: (value) => (/^\d{8,15}$/.test(digits(value)) ? null : t("field_phone")),
  });  // prettier-ignore
  const name = field({ name: "name", label: t("newchat_name"), max: 200 });
  openTemplatePicker({
    heading: t("newchat_title"),
    extra: [number.wrap, phone.wrap, name.wrap],
    send: async (template, params) => {
      const body = {
        wa_id: digits(phone.input.value),
        name: name.input.value.trim() || null,
        template_id: template.id,
        params,
        local_id: newLocalId(),
      };
      const chosen = number.select.value;
      if (chosen) body.number_id = Number.isNaN(Number(chosen)) ? chosen : Number(chosen);
      const result = await api.post("/api/v1/conversations", body);
      if (result && result.conversation) {
        putConversation(result.conversation);
        onOpen(result.conversation.id);
      }
      return result;
    },
  });
}
