// The users page (admins): create a user; change one's name, role, capacity, queues,
// password, or deactivate them. A change sends only the fields that differ from what the
// page was loaded with; the page reloads on success, so what it shows is what the server has.
import { request } from "../api.js";
import { t } from "../i18n.js";

function capacity(input) {
  return input.value === "" ? null : Number(input.value);
}

function checkedIds(form, name) {
  return [...form.querySelectorAll(`input[name="${name}"]`)]
    .filter((box) => box.checked)
    .map((box) => Number(box.value));
}

function changes(form) {
  const body = {};
  const { name, role, password, active } = form.elements;
  if (name.value.trim() !== name.defaultValue.trim()) body.name = name.value.trim();
  if (!role.disabled && ![...role.options].find((o) => o.defaultSelected)?.selected) {
    body.role = role.value;
  }
  if (form.elements.capacity.value !== form.elements.capacity.defaultValue) {
    body.capacity = capacity(form.elements.capacity);
  }
  const boxes = [...form.querySelectorAll('input[name="queue_ids"]')];
  if (boxes.some((box) => box.checked !== box.defaultChecked)) {
    body.queue_ids = checkedIds(form, "queue_ids");
  }
  if (!active.disabled && active.checked !== active.defaultChecked) body.active = active.checked;
  if (password.value !== "") body.password = password.value;
  return body;
}

function created(form) {
  const { email, name, role, password } = form.elements;
  return {
    email: email.value.trim(),
    name: name.value.trim(),
    role: role.value,
    password: password.value,
    capacity: capacity(form.elements.capacity),
    queue_ids: checkedIds(form, "queue_ids"),
  };
}

async function submit(form, method, path, body) {
  const message = form.querySelector(".form-message");
  message.textContent = "";
  if (Object.keys(body).length === 0) {
    message.textContent = t("users_no_changes");
    return;
  }
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

const add = document.getElementById("add-user");
if (add) {
  add.addEventListener("submit", (event) => {
    event.preventDefault();
    submit(add, "POST", "/api/v1/users", created(add));
  });
}
for (const form of document.querySelectorAll(".user-form")) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit(form, "PATCH", `/api/v1/users/${form.dataset.id}`, changes(form));
  });
}
