// The top bar's "Administración" menu (a <details>): Escape, a click elsewhere or the focus
// leaving it closes it, as a menu does.
const nav = document.getElementById("admin-nav");

function close({ focus = false } = {}) {
  if (!nav.open) return;
  nav.open = false;
  if (focus) nav.querySelector("summary").focus();
}

if (nav) {
  nav.addEventListener("keydown", (event) => {
    if (event.key === "Escape") close({ focus: true });
  });
  document.addEventListener("click", (event) => {
    if (!nav.contains(event.target)) close();
  });
  nav.addEventListener("focusout", (event) => {
    if (event.relatedTarget && !nav.contains(event.relatedTarget)) close();
  });
}
