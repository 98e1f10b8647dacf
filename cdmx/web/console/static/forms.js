// The "+" menu's simple forms: share a location and share a contact card.
import { element } from "./dom.js";
import { field, openDialog } from "./dialog.js";
import { t } from "./i18n.js";
import { sendForm } from "./outgoing.js";

function coordinate(limit) {
  return (value) => {
    const number = Number(value);
    if (value === "" || !Number.isFinite(number) || Math.abs(number) > limit) {
      return t("field_coordinate", { limit });
    }
    return null;
  };
}

export function openLocationForm(conversation) {
  const latitude = field({
    name: "latitude", label: t("location_latitude"), required: true, placeholder: "19.432608",
    check: coordinate(90), attrs: { inputmode: "decimal" },
  });  // prettier-ignore
  const longitude = field({
    name: "longitude", label: t("location_longitude"), required: true, placeholder: "-99.133209",
    check: coordinate(180), attrs: { inputmode: "decimal" },
  });  // prettier-ignore
  const name = field({ name: "name", label: t("location_name"), max: 1000 });
  const address = field({ name: "address", label: t("location_address"), max: 1000 });
  const pair = element("div", "field-pair");
  pair.append(latitude.wrap, longitude.wrap);
  openDialog({
    heading: t("menu_location"),
    kind: "location",
    nodes: [pair, name.wrap, address.wrap],
    onSubmit: () =>
      sendForm(conversation.id, {
        type: "location",
        latitude: Number(latitude.input.value),
        longitude: Number(longitude.input.value),
        name: name.input.value.trim() || null,
        address: address.input.value.trim() || null,
      }),
  });
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+?[\d\s().-]{6,20}$/;

function split(value) {
  return value.split(/[,;\n]/).map((part) => part.trim()).filter(Boolean);
}

export function openContactForm(conversation) {
  const name = field({ name: "contacts.0.name", label: t("contact_name"), required: true, max: 200 });
  const phones = field({
    name: "contacts.0.phones", label: t("contact_phones"), placeholder: "+52 55 1234 5678",
    hint: t("contact_many_hint"),
    check: (value) => (split(value).every((p) => PHONE.test(p)) ? null : t("field_phone")),
  });  // prettier-ignore
  const emails = field({
    name: "contacts.0.emails", label: t("contact_emails"), type: "text",
    placeholder: "nombre@ejemplo.mx", hint: t("contact_many_hint"),
    check: (value) => (split(value).every((e) => EMAIL.test(e)) ? null : t("field_email")),
  });  // prettier-ignore
  // At least one way to reach the contact: said under the phone field.
  const phoneCheck = phones.input.checker;
  phones.input.checker = (value) =>
    !value && !emails.input.value.trim() ? t("contact_need_one") : phoneCheck(value);
  openDialog({
    heading: t("menu_contacts"),
    kind: "contacts",
    nodes: [name.wrap, phones.wrap, emails.wrap],
    onSubmit: () =>
      sendForm(conversation.id, {
        type: "contacts",
        contacts: [
          { name: name.input.value.trim(), phones: split(phones.input.value), emails: split(emails.input.value) },
        ],
      }),
  });
}
