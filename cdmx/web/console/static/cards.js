// The structured bubbles: a shared location, shared contact cards and a catalog order.
import { element } from "./dom.js";
import { t } from "./i18n.js";
import { formatCoordinate, formatMoney } from "./format.js";
import { linkElement, safeHref } from "./links.js";

export function locationCard(content) {
  const card = element("div", "card location-card");
  const { latitude, longitude } = content;
  const hasPoint = latitude !== null && latitude !== undefined && longitude !== null && longitude !== undefined;
  card.append(element("p", "card-title", `📍 ${content.name || t("location_shared")}`));
  if (content.address) card.append(element("p", "card-line", content.address));
  if (hasPoint) {
    card.append(element("p", "card-line muted location-coords", `${formatCoordinate(latitude)}, ${formatCoordinate(longitude)}`));
  }
  const map = safeHref(content.map_url);
  if (map) card.append(linkElement(map, t("location_open_map"), "card-action"));
  const site = safeHref(content.url);
  if (site) card.append(linkElement(site, site, "card-line message-link"));
  return card;
}

function contactCard(contact) {
  const card = element("div", "card contact-card");
  card.append(element("p", "card-title", `👤 ${contact.name || t("contact_no_name")}`));
  if (contact.organization) card.append(element("p", "card-line muted", contact.organization));
  for (const phone of contact.phones || []) {
    if (!phone.phone && !phone.wa_id) continue;
    const row = element("p", "card-line contact-phone", phone.phone || `+${phone.wa_id}`);
    if (phone.type) row.append(element("span", "muted", ` · ${phone.type.toLowerCase()}`));
    if (phone.wa_id) row.append(element("span", "badge", t("contact_on_whatsapp")));
    card.append(row);
  }
  for (const email of contact.emails || []) {
    if (email.email) card.append(element("p", "card-line contact-email", email.email));
  }
  return card;
}

export function contactCards(content) {
  const cards = (content.contacts || []).map(contactCard);
  return cards.length ? cards : [element("p", "message-text muted", t("contact_no_name"))];
}

export function orderCard(content) {
  const card = element("div", "card order-card");
  card.append(element("p", "card-title", `🛒 ${t("order_title")}`));
  const list = element("ul", "order-items");
  for (const item of content.items || []) {
    const row = element("li", "order-item");
    row.append(
      element("span", "order-item-name", t("order_item", {
        quantity: item.quantity ?? "?",
        product: item.product_retailer_id || "?",
      })),
      element("span", "order-item-price", formatMoney(item.item_price, item.currency)),
    );
    list.append(row);
  }
  card.append(list);
  if (content.total !== null && content.total !== undefined) {
    card.append(element("p", "order-total", t("order_total", { total: formatMoney(content.total, content.currency) })));
  }
  if (content.text) card.append(element("p", "card-line", content.text));
  return card;
}
