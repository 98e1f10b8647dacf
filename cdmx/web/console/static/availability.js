// The agent's own availability selector in the top bar.
import { api } from "./api.js";
import { t } from "./i18n.js";
import { state } from "./store.js";
import { toast } from "./toast.js";

const select = document.getElementById("availability");
const wrap = document.getElementById("availability-wrap");

export function showAvailability(value = state.user.availability) {
  select.value = value;
  wrap.dataset.availability = value;
}

export function setupAvailability() {
  select.addEventListener("change", async () => {
    const wanted = select.value;
    const before = state.user.availability;
    wrap.dataset.availability = wanted;
    select.disabled = true;
    try {
      const user = await api.put("/api/v1/me/availability", { availability: wanted });
      state.user = { ...state.user, ...(user || {}), availability: user?.availability || wanted };
    } catch (error) {
      toast(`${t("availability_error")} ${error.message}`, { error: true });
      state.user = { ...state.user, availability: before };
    } finally {
      select.disabled = false;
      showAvailability();
    }
  });
}
