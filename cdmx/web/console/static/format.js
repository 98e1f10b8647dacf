// Times in the business time zone (from boot), durations, icons and delivery ticks.
import { lang, t, timezone } from "./i18n.js";

function formatter(options) {
  try {
    return new Intl.DateTimeFormat(lang, { timeZone: timezone, ...options });
  } catch {
    // An unknown zone name would throw; the browser's own zone is better than nothing.
    return new Intl.DateTimeFormat(lang, options);
  }
}

const timeFormat = formatter({ hour: "numeric", minute: "2-digit" });
const weekdayFormat = formatter({ weekday: "long" });
const shortDateFormat = formatter({ day: "2-digit", month: "2-digit", year: "2-digit" });
const longDateFormat = formatter({ weekday: "long", day: "numeric", month: "long", year: "numeric" });
const fullFormat = formatter({ dateStyle: "full", timeStyle: "short" });
const dayKeyFormat = (() => {
  try {
    return new Intl.DateTimeFormat("en-CA", { timeZone: timezone, dateStyle: "short" });
  } catch {
    return new Intl.DateTimeFormat("en-CA", { dateStyle: "short" });
  }
})();

export function toDate(iso) {
  if (!iso) return null;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? null : date;
}

// "YYYY-MM-DD" of the calendar day in the business time zone.
export function dayKey(iso) {
  const date = toDate(iso);
  return date ? dayKeyFormat.format(date) : "";
}

function daysAgo(date) {
  const today = Date.parse(dayKeyFormat.format(new Date()));
  const day = Date.parse(dayKeyFormat.format(date));
  return Math.round((today - day) / 86_400_000);
}

export function formatTime(iso) {
  const date = toDate(iso);
  return date ? timeFormat.format(date) : "";
}

export function formatFull(iso) {
  const date = toDate(iso);
  return date ? fullFormat.format(date) : "";
}

// For the conversation list: a time today, "Ayer", a weekday this week, else a date.
export function formatListTime(iso) {
  const date = toDate(iso);
  if (!date) return "";
  const ago = daysAgo(date);
  if (ago <= 0) return timeFormat.format(date);
  if (ago === 1) return t("yesterday");
  if (ago < 7) return weekdayFormat.format(date);
  return shortDateFormat.format(date);
}

// For the separators between days in a thread.
export function formatDayLabel(iso) {
  const date = toDate(iso);
  if (!date) return "";
  const ago = daysAgo(date);
  if (ago <= 0) return t("today");
  if (ago === 1) return t("yesterday");
  return longDateFormat.format(date);
}

export function msUntil(iso) {
  const date = toDate(iso);
  return date ? date.getTime() - Date.now() : -Infinity;
}

export function formatDuration(ms) {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return t("duration_less_than_minute");
  if (minutes < 60) return t("duration_minutes", { minutes });
  return t("duration_hours_minutes", { hours: Math.floor(minutes / 60), minutes: minutes % 60 });
}

export function icon(name) {
  const template = document.getElementById(`icon-${name}`);
  return template ? template.content.firstElementChild.cloneNode(true) : document.createElement("span");
}

const TICK_ICONS = {
  queued: "clock",
  sent: "check",
  delivered: "double-check",
  read: "double-check",
  played: "double-check",
  failed: "failed",
};

// queued = clock, sent = one grey tick, delivered = two grey, read/played = two blue,
// failed = red mark. The colour comes from CSS on [data-status].
export function tickElement(status) {
  const tick = document.createElement("span");
  tick.className = "tick";
  tick.dataset.status = status;
  const label = t(`tick_${status}`);
  tick.title = label;
  tick.setAttribute("role", "img");
  tick.setAttribute("aria-label", label);
  tick.append(icon(TICK_ICONS[status] || "clock"));
  return tick;
}

export function initials(text) {
  const words = String(text || "").trim().split(/\s+/).filter(Boolean);
  if (!words.length) return "?";
  const letters = words.length === 1 ? [...words[0]].slice(0, 2) : [[...words[0]][0], [...words.at(-1)][0]];
  return letters.join("").toUpperCase();
}

// A stable, calm colour per contact: a hue from a small set that tell apart well.
const HUES = [165, 200, 230, 265, 300, 340, 15, 35, 90, 130];

export function hueFor(key) {
  let hash = 2166136261;
  for (const char of String(key)) hash = Math.imul(hash ^ char.codePointAt(0), 16777619);
  return HUES[(hash >>> 0) % HUES.length];
}

export function displayPhone(waId) {
  return waId ? `+${String(waId).replace(/^\+/, "")}` : "";
}

// An amount in its currency ("$110.50" for MXN in es-MX); a bad currency code shows the code.
export function formatMoney(amount, currency) {
  if (amount === null || amount === undefined || Number.isNaN(Number(amount))) return "";
  try {
    return new Intl.NumberFormat(lang, { style: "currency", currency: currency || "MXN" }).format(amount);
  } catch {
    return `${new Intl.NumberFormat(lang).format(amount)} ${currency || ""}`.trim();
  }
}

export function formatCoordinate(value) {
  return new Intl.NumberFormat("en-US", { maximumFractionDigits: 6 }).format(value);
}
