// The console's words and boot data, from <script type="application/json" id="boot">.
// t() fills "{name}" placeholders; its result is always meant for textContent.

const element = document.getElementById("boot");

export const boot = element ? JSON.parse(element.textContent) : {};

const strings = boot.strings || {};

export const lang = boot.lang || document.documentElement.lang || "es-MX";

export const timezone = boot.timezone || "America/Mexico_City";

export function t(key, vars = {}) {
  const template = Object.hasOwn(strings, key) ? strings[key] : key;
  // One pass: a value that itself contains "{x}" (a customer's name) is never expanded.
  return template.replace(/\{(\w+)\}/g, (whole, name) =>
    Object.hasOwn(vars, name) ? String(vars[name]) : whole,
  );
}
