// The labels and customer fields page (admins): create, rename and recolour labels; add
// and delete the fields the team keeps on a customer's profile. The page reloads after a
// change, so what it shows is what the server has.
import { request } from "../api.js";
import { t } from "../i18n.js";
import { deleteControls } from "./confirm.js";

for (const swatch of document.querySelectorAll(".color-swatch")) {
  swatch.style.backgroundColor = swatch.dataset.color;
}

async function submit(form, method, path, body) {
  const message = form.querySelector(".form-message");
  message.textContent = "";
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    await request(method, path, body);
    window.location.reload();
  } catch (error) {
    message.textContent = error.message;
    button.disabled = false;
  }
}

// What a changed label sends: only what differs from the page as loaded.
function labelChanges(form) {
  const { name, color } = form.elements;
  const body = {};
  if (name.value.trim() !== name.defaultValue.trim()) body.name = name.value.trim();
  if (color.value.toLowerCase() !== color.defaultValue.toLowerCase()) body.color = color.value;
  return body;
}

for (const form of document.querySelectorAll(".label-form")) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = labelChanges(form);
    if (Object.keys(body).length === 0) {
      form.querySelector(".form-message").textContent = t("users_no_changes");
      return;
    }
    submit(form, "PATCH", `/api/v1/labels/${form.dataset.id}`, body);
  });
}

for (const row of document.querySelectorAll(".label-row")) {
  row.querySelector(".row-actions").append(
    deleteControls({
      name: row.dataset.name,
      question: t("admin_label_delete_confirm", { name: row.dataset.name }),
      remove: async () => {
        await request("DELETE", `/api/v1/labels/${row.dataset.id}`);
        window.location.reload();
      },
    }),
  );
}

for (const row of document.querySelectorAll(".field-row")) {
  row.querySelector(".row-actions").append(
    deleteControls({
      name: row.dataset.name,
      question: t("admin_field_delete_confirm", { name: row.dataset.name }),
      remove: async () => {
        await request("DELETE", `/api/v1/contact-fields/${row.dataset.id}`);
        window.location.reload();
      },
    }),
  );
}

const addLabel = document.getElementById("add-label");
addLabel.addEventListener("submit", (event) => {
  event.preventDefault();
  const { name, color } = addLabel.elements;
  submit(addLabel, "POST", "/api/v1/labels", { name: name.value.trim(), color: color.value });
});

// A field's key follows its name ("Número de cliente" → numero_de_cliente) until the admin
// types a key of their own.
const addField = document.getElementById("add-field");
const { label: fieldLabel, key: fieldKey } = addField.elements;
let keyTyped = false;
fieldKey.addEventListener("input", () => {
  keyTyped = fieldKey.value !== "";
});
fieldLabel.addEventListener("input", () => {
  if (keyTyped) return;
  fieldKey.value = fieldLabel.value
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 64);
});
addField.addEventListener("submit", (event) => {
  event.preventDefault();
  submit(addField, "POST", "/api/v1/contact-fields", {
    key: fieldKey.value.trim(),
    label: fieldLabel.value.trim(),
  });
});
