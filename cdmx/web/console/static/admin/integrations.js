// The integration tokens page (admins): create a token with scopes and an expiry (its
// secret shown once, to copy), see when each was last used, revoke one (asking first).
// The page reloads after a change, so what it shows is what the server has.
import { request } from "../api.js";
import { formatFull } from "../format.js";
import { t } from "../i18n.js";
import { deleteControls } from "./confirm.js";

for (const node of document.querySelectorAll("time[data-time]")) {
  node.dateTime = node.dataset.time;
  node.textContent = formatFull(node.dataset.time);
}

function say(node, text, { error = false } = {}) {
  node.textContent = text;
  node.classList.toggle("error", error);
}

// The token, shown once: the admin copies it into the other system; "Listo" reloads.
function showSecret(text, secret) {
  say(document.getElementById("secret-text"), text);
  const field = document.getElementById("secret-value");
  field.value = secret;
  document.getElementById("secret-box").hidden = false;
  field.focus();
  field.select();
}

document.getElementById("secret-copy").addEventListener("click", async (event) => {
  const field = document.getElementById("secret-value");
  field.select();
  try {
    await navigator.clipboard.writeText(field.value);
    event.target.textContent = t("users_link_copied");
  } catch {
    // Selected, for Ctrl+C, when the clipboard is not allowed.
  }
});
document.getElementById("secret-done").addEventListener("click", () => window.location.reload());

const add = document.getElementById("add-token");
add.addEventListener("submit", async (event) => {
  event.preventDefault();
  const message = add.querySelector(".form-message");
  const scopes = [...add.querySelectorAll('input[name="scopes"]:checked')].map((box) => box.value);
  if (scopes.length === 0) {
    say(message, t("integrations_pick_scopes"), { error: true });
    return;
  }
  const days = add.elements.expires.value;
  const expiresAt = days ? new Date(Date.now() + Number(days) * 86_400_000).toISOString() : null;
  const button = add.querySelector("button[type=submit]");
  button.disabled = true;
  say(message, "");
  try {
    const made = await request("POST", "/api/v1/integration-tokens", {
      name: add.elements.name.value.trim(),
      scopes,
      expires_at: expiresAt,
    });
    add.reset();
    showSecret(t("integrations_token_new", { name: made.name }), made.token);
  } catch (error) {
    say(message, error.message, { error: true });
  } finally {
    button.disabled = false;
  }
});

for (const row of document.querySelectorAll(".token-row")) {
  if (row.dataset.status === "revoked") continue;
  row.querySelector(".row-actions").append(
    deleteControls({
      name: row.dataset.name,
      question: t("integrations_revoke_confirm", { name: row.dataset.name }),
      label: t("integrations_revoke"),
      yes: t("integrations_revoke_yes"),
      remove: async () => {
        await request("DELETE", `/api/v1/integration-tokens/${row.dataset.id}`);
        window.location.reload();
      },
    }),
  );
}
