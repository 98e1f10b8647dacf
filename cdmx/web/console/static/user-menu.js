// The top bar's user menu (_user_menu.html): a disclosure that holds the agent's own
// settings — the notification sound, browser notifications (notify.js) and the shortcut help
// (shortcuts.js). It closes on Escape (focus back on its button), on a click outside, and
// after an action that moves elsewhere (the help opening).
const wrap = document.getElementById("user-menu-wrap");
const button = document.getElementById("user-menu-button");
const panel = document.getElementById("user-menu");

export function toggleUserMenu(show) {
  if (!panel) return;
  panel.hidden = !show;
  button.setAttribute("aria-expanded", String(show));
  if (show) panel.querySelector("button:not([hidden]):not(:disabled)")?.focus();
}

function setup() {
  if (!panel) return;
  button.addEventListener("click", () => toggleUserMenu(panel.hidden));
  panel.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    event.preventDefault(); // the shortcut module leaves this Escape alone
    toggleUserMenu(false);
    button.focus();
  });
  document.addEventListener("pointerdown", (event) => {
    if (!panel.hidden && !wrap.contains(event.target)) toggleUserMenu(false);
  });
  // Tabbing out of the menu closes it, so it never hides what comes next.
  wrap.addEventListener("focusout", (event) => {
    if (event.relatedTarget && !wrap.contains(event.relatedTarget)) toggleUserMenu(false);
  });
}

setup();
