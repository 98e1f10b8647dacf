// The click-to-WhatsApp ad a conversation came from, in a panel under the header: the
// headline, the ad's text and a link to it (http and https only; the agent clicks it,
// the page never loads anything from it).
import { element } from "./dom.js";
import { t } from "./i18n.js";
import { linkElement, safeHref } from "./links.js";

const panel = document.getElementById("referral-panel");

export function renderReferral(items) {
  if (!panel) return;
  // The latest inbound message that came through an ad.
  const from = items.filter((item) => item.direction === "inbound" && item.referral).at(-1);
  panel.replaceChildren();
  panel.hidden = !from;
  if (!from) return;
  const referral = from.referral;
  const kind = referral.source_type === "post" ? t("referral_post") : t("referral_ad");
  panel.append(element("p", "referral-title", `📣 ${t("referral_title", { kind })}`));
  if (referral.headline) panel.append(element("p", "referral-headline", referral.headline));
  if (referral.body) panel.append(element("p", "referral-body", referral.body));
  const href = safeHref(referral.source_url);
  if (href) panel.append(linkElement(href, t("referral_open"), "referral-link"));
}
