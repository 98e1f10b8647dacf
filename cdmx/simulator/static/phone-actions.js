// What the customer can do besides typing: the attach menu and its forms (location,
// contact card, order, an unsupported message), and a tap on a bubble to react to it,
// remove the reaction, or reply quoting it.

const $ = (selector) => document.querySelector(selector);

// The two sample products of the order form (quantity 0 leaves one out).
const SAMPLE_ITEMS = {
  qty_1: { product_retailer_id: "TACO-PASTOR", item_price: 25.0, currency: "MXN" },
  qty_2: { product_retailer_id: "AGUA-HORCHATA", item_price: 35.5, currency: "MXN" },
};

function formBody(kind, form) {
  const data = new FormData(form);
  const value = (name) => String(data.get(name) ?? "").trim();
  if (kind === "location") {
    return {
      type: "location",
      name: value("name"),
      address: value("address"),
      latitude: Number(value("latitude")),
      longitude: Number(value("longitude")),
    };
  }
  if (kind === "contacts") {
    return {
      type: "contacts",
      contact_name: value("contact_name"),
      contact_phone: value("contact_phone"),
      contact_email: value("contact_email"),
    };
  }
  if (kind === "order") {
    const items = Object.entries(SAMPLE_ITEMS)
      .map(([field, item]) => ({ ...item, quantity: Math.trunc(Number(value(field))) }))
      .filter((item) => item.quantity > 0);
    return { type: "order", items, text: value("text") };
  }
  return { type: "unsupported", unsupported_type: value("unsupported_type") };
}

export function setupActions({ send, onReply }) {
  const attach = $("#attach");
  const menu = $("#attach-menu");
  const sheet = $("#sheet");
  const bubbleMenu = $("#bubble-menu");
  let kind = null;
  let target = null;

  const closeMenu = () => {
    menu.hidden = true;
    attach.setAttribute("aria-expanded", "false");
  };
  const closeSheet = () => {
    sheet.hidden = true;
    kind = null;
  };
  const closeBubbleMenu = () => {
    bubbleMenu.hidden = true;
    target?.classList.remove("selected");
    target = null;
  };

  attach.addEventListener("click", () => {
    const open = menu.hidden;
    closeSheet();
    closeBubbleMenu();
    menu.hidden = !open;
    attach.setAttribute("aria-expanded", String(open));
  });
  for (const button of menu.querySelectorAll("button[data-kind]")) {
    button.addEventListener("click", () => {
      closeMenu();
      kind = button.dataset.kind;
      for (const fieldset of sheet.querySelectorAll("fieldset")) {
        const shown = fieldset.dataset.kind === kind;
        fieldset.hidden = !shown;
        fieldset.disabled = !shown;
      }
      sheet.hidden = false;
      sheet.querySelector("fieldset:not([hidden]) input, fieldset:not([hidden]) select")?.focus();
    });
  }
  $("#sheet-cancel").addEventListener("click", closeSheet);
  sheet.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!kind) return;
    const button = $("#sheet-send");
    button.disabled = true;
    try {
      if (await send(formBody(kind, sheet))) closeSheet();
    } finally {
      button.disabled = false;
    }
  });

  // Tap a bubble: react, remove the reaction, or reply to it.
  $("#chat").addEventListener("click", (event) => {
    const bubble = event.target.closest(".bubble");
    if (!bubble || bubble.dataset.wamid.startsWith("local-")) return;
    if (event.target.closest(".bubble-choices")) return; // a reply button or list row
    const same = bubble === target;
    closeBubbleMenu();
    closeMenu();
    if (same) return;
    target = bubble;
    bubble.classList.add("selected");
    bubbleMenu.querySelector('[data-action="unreact"]').hidden = !bubble.dataset.myReaction;
    bubbleMenu.hidden = false;
  });
  bubbleMenu.addEventListener("click", async (event) => {
    const button = event.target.closest("button");
    if (!button || !target) return;
    const wamid = target.dataset.wamid;
    closeBubbleMenu();
    if (button.dataset.emoji) {
      await send({ type: "reaction", message_id: wamid, emoji: button.dataset.emoji });
    } else if (button.dataset.action === "unreact") {
      await send({ type: "reaction", message_id: wamid, emoji: "" });
    } else if (button.dataset.action === "reply") {
      onReply(wamid);
    }
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    closeMenu();
    closeSheet();
    closeBubbleMenu();
  });
}
