// The queues page (admins): create a queue; change a queue's name, members, numbers,
// business hours (a weekly grid, holidays, closed dates), automatic messages and timers.
// The page reloads on success, so what it shows is always what the server has.
import { request } from "../api.js";
import { t } from "../i18n.js";

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

class FormProblem extends Error {}

function checkedIds(form, name) {
  // Disabled boxes count too: the default queue's own numbers are shown checked and locked.
  return [...form.querySelectorAll(`input[name="${name}"]`)]
    .filter((box) => box.checked)
    .map((box) => Number(box.value));
}

function optionalNumber(input) {
  return input.value === "" ? null : Number(input.value);
}

function optionalText(input) {
  return input.value.trim() === "" ? null : input.value;
}

function hours(form) {
  if (form.querySelector(".always-open").checked) return null;
  const weekly = {};
  for (const day of DAYS) {
    const row = form.querySelector(`tr.day[data-day="${day}"]`);
    weekly[day] = [];
    for (const cell of row.querySelectorAll(".range")) {
      const start = cell.querySelector(".range-start").value;
      const end = cell.querySelector(".range-end").value;
      if (start === "" && end === "") continue;
      if (start === "" || end === "") {
        throw new FormProblem(t("queues_range_incomplete", { day: row.cells[0].textContent }));
      }
      // A time input has no 24:00; an end at 00:00 means midnight, the same thing.
      weekly[day].push([start, end === "00:00" ? "24:00" : end]);
    }
  }
  const holidays = form.querySelector('input[name="holidays"]');
  const dates = [...form.querySelectorAll('input[name="closed_dates"]')]
    .map((input) => input.value)
    .filter((value) => value !== "");
  return {
    weekly,
    holidays: holidays.checked ? holidays.value : null,
    closed_dates: [...new Set(dates)].sort(),
  };
}

function changes(form) {
  const { elements } = form;
  return {
    name: elements.name.value.trim(),
    member_ids: checkedIds(form, "member_ids"),
    number_ids: checkedIds(form, "number_ids"),
    hours: hours(form),
    greeting_message: optionalText(elements.greeting_message),
    closed_message: optionalText(elements.closed_message),
    reroute_after_minutes: optionalNumber(elements.reroute_after_minutes),
    auto_close_after_hours: optionalNumber(elements.auto_close_after_hours),
    target_first_response_seconds: Number(elements.target_first_response_seconds.value),
    csat_enabled: elements.csat_enabled.checked,
    csat_template_name: optionalText(elements.csat_template_name),
    csat_template_language: optionalText(elements.csat_template_language),
  };
}

function created(form) {
  return { name: form.elements.name.value.trim(), member_ids: checkedIds(form, "member_ids") };
}

async function submit(form, method, path, build) {
  const message = form.querySelector(".form-message");
  message.textContent = "";
  const button = form.querySelector("button[type=submit]");
  try {
    const body = build(form);
    button.disabled = true;
    await request(method, path, body);
    window.location.reload();
  } catch (error) {
    message.textContent = error.message;
    button.disabled = false;
  }
}

for (const form of document.querySelectorAll(".queue-form")) {
  const always = form.querySelector(".always-open");
  const detail = form.querySelector(".hours-detail");
  always.addEventListener("change", () => {
    detail.disabled = always.checked;
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit(form, "PATCH", `/api/v1/queues/${form.dataset.id}`, changes);
  });
}

const add = document.getElementById("add-queue");
if (add) {
  add.addEventListener("submit", (event) => {
    event.preventDefault();
    submit(add, "POST", "/api/v1/queues", created);
  });
}
