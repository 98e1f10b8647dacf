// One short message at the bottom of the screen (errors, confirmations).
const element = document.getElementById("toast");
let timer = null;

export function toast(message, { error = false, ms = 4000 } = {}) {
  if (!element) return;
  element.textContent = message;
  element.classList.toggle("error", error);
  element.hidden = false;
  clearTimeout(timer);
  timer = setTimeout(() => {
    element.hidden = true;
  }, ms);
}
