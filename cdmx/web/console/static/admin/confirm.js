// "Eliminar" that asks first, in the row: "¿Eliminar /saludo? [Sí, eliminar] [Cancelar]".
// `remove` does the deleting and returns a promise; its error message is shown in the row
// and the question stays, so the admin can try again.
import { element } from "../dom.js";
import { t } from "../i18n.js";

// `label` and `yes` name the act when it is not a deletion ("Revocar").
export function deleteControls({ name, question, remove, label, yes: yesLabel }) {
  const wrap = element("div", "row-delete");
  const ask = element("button", "button small danger-text", label || t("admin_delete"));
  ask.type = "button";
  ask.append(element("span", "visually-hidden", ` ${name}`));
  const confirmBox = element("div", "row-confirm");
  confirmBox.hidden = true;
  confirmBox.setAttribute("role", "group");
  const yes = element("button", "button small danger", yesLabel || t("admin_delete_yes"));
  yes.type = "button";
  const no = element("button", "button small", t("admin_cancel"));
  no.type = "button";
  const message = element("p", "form-message");
  message.setAttribute("role", "status");
  confirmBox.append(element("span", null, question), yes, no);
  wrap.append(ask, confirmBox, message);
  ask.addEventListener("click", () => {
    ask.hidden = true;
    confirmBox.hidden = false;
    yes.focus();
  });
  no.addEventListener("click", () => {
    confirmBox.hidden = true;
    ask.hidden = false;
    ask.focus();
  });
  yes.addEventListener("click", async () => {
    yes.disabled = true;
    message.textContent = "";
    try {
      await remove();
    } catch (error) {
      message.textContent = error.message;
      yes.disabled = false;
    }
  });
  return wrap;
}
