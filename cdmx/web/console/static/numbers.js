// The numbers page: connect a number, replace a token (admins). The page reloads on success,
// so what it shows is always what the server has.
import { request } from "./api.js";

const message = document.getElementById("numbers-message");

function fields(form) {
  const data = {};
  for (const [key, value] of new FormData(form).entries()) {
    if (value === "") continue;
    data[key] = key === "rate_per_second" ? Number(value) : value;
  }
  return data;
}

async function submit(form, method, path) {
  message.textContent = "";
  try {
    await request(method, path, fields(form));
    window.location.reload();
  } catch (error) {
    message.textContent = error.message;
  }
}

const add = document.getElementById("add-number");
if (add) {
  add.addEventListener("submit", (event) => {
    event.preventDefault();
    submit(add, "POST", "/api/v1/numbers");
  });
}
for (const form of document.querySelectorAll(".token-form")) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit(form, "PUT", `/api/v1/numbers/${form.dataset.id}/token`);
  });
}
