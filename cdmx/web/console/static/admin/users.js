// The users page (admins): create a user; change one's name, role, capacity, queues,
// password, or deactivate them; get a one-time sign-in link for one. A change sends only
// the fields that differ from what the page was loaded with; the page reloads on success,
// so what it shows is what the server has (after a link is shown and copied).
import { request } from "../api.js";
import { element } from "../dom.js";
import { formatFull } from "../format.js";
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
    ...(password.value === "" ? {} : { password: password.value }),
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
    const answer = await request(method, path, body);
    if (answer && answer.sign_in_link) showLink(form, answer, answer.name);
    else window.location.reload();
  } catch (error) {
    message.textContent = error.message;
    button.disabled = false;
  }
}

// Shown once: the admin copies it and passes it on; "Listo" shows the page as it now is.
function showLink(form, answer, name) {
  const box = form.querySelector(".sign-in-link");
  const text = t("users_link_ready", {
    time: formatFull(answer.sign_in_link_expires_at),
    name: name || "—",
  });
  const field = element("input", "sign-in-link-url");
  field.readOnly = true;
  field.value = answer.sign_in_link;
  field.setAttribute("aria-label", t("users_link_button"));
  const copy = element("button", "button small", t("users_link_copy"));
  copy.type = "button";
  copy.addEventListener("click", async () => {
    field.select();
    try {
      await navigator.clipboard.writeText(field.value);
      copy.textContent = t("users_link_copied");
    } catch {
      // Selected, for Ctrl+C, when the clipboard is not allowed.
    }
  });
  const done = element("button", "button primary small", t("users_link_done"));
  done.type = "button";
  done.addEventListener("click", () => window.location.reload());
  box.replaceChildren(element("p", null, text), field, copy, done);
  box.hidden = false;
  field.focus();
  field.select();
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
  const link = form.querySelector(".link-button");
  if (link) {
    link.addEventListener("click", async () => {
      const message = form.querySelector(".form-message");
      message.textContent = "";
      link.disabled = true;
      try {
        const answer = await request("POST", `/api/v1/users/${form.dataset.id}/sign-in-link`);
        showLink(form, answer, form.elements.name.defaultValue);
      } catch (error) {
        message.textContent = error.message;
      } finally {
        link.disabled = false;
      }
    });
  }
}
