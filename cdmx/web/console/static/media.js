// Media in a bubble, from the message's `media` (docs/messages.md): an image thumbnail that
// opens the lightbox, a player for audio, voice notes and video, a document card, a sticker;
// a spinner while pending (message.updated replaces it) and a clear note when it is gone.
import { element } from "./dom.js";
import { t } from "./i18n.js";
import { formatBytes } from "./attach-limits.js";

const lightbox = document.getElementById("lightbox");
const lightboxImage = document.getElementById("lightbox-image");
const lightboxDownload = document.getElementById("lightbox-download");

const DOCUMENT_ICONS = { pdf: "📕", doc: "📘", docx: "📘", xls: "📗", xlsx: "📗", ppt: "📙", pptx: "📙", txt: "📄" };

// Our own signed paths ("/media/…"), presigned http(s) links, and local previews (blob:).
export function mediaUrl(value) {
  if (typeof value !== "string" || !value) return null;
  if (value.startsWith("/") && !value.startsWith("//")) return value;
  try {
    const url = new URL(value);
    return ["http:", "https:", "blob:"].includes(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

function openLightbox(url, filename) {
  if (!lightbox) return;
  lightboxImage.src = url;
  lightboxDownload.href = url;
  lightboxDownload.download = filename || "";
  lightbox.showModal();
}

export function setupLightbox() {
  if (!lightbox) return;
  document.getElementById("lightbox-close").addEventListener("click", () => lightbox.close());
  lightbox.addEventListener("click", (event) => {
    if (event.target === lightbox) lightbox.close();
  });
  lightbox.addEventListener("close", () => lightboxImage.removeAttribute("src"));
}

function extension(name) {
  const match = /\.(\w+)$/.exec(name || "");
  return match ? match[1].toLowerCase() : "";
}

function sized(node, media) {
  if (media.width && media.height) {
    node.width = media.width;
    node.height = media.height;
  }
  return node;
}

function image(media, caption) {
  const url = mediaUrl(media.url);
  const thumb = mediaUrl(media.thumbnail_url) || url;
  const button = element("button", "media-image");
  button.type = "button";
  button.title = t("media_open");
  const img = sized(element("img"), media);
  img.src = thumb;
  img.alt = caption || t("media_image");
  img.loading = "lazy";
  button.append(img);
  if (url) button.addEventListener("click", () => openLightbox(url, media.filename));
  return button;
}

function documentCard(media, content) {
  const name = media.filename || content.filename || t("media_document");
  const url = mediaUrl(media.url);
  const card = element(url ? "a" : "div", "card document-card");
  if (url) {
    card.href = url;
    card.download = name;
  }
  card.append(element("span", "document-icon", DOCUMENT_ICONS[extension(name)] || "📄"));
  const label = element("span", "media-label");
  label.append(element("strong", "media-filename", name));
  const details = [extension(name).toUpperCase(), media.size ? formatBytes(media.size) : ""].filter(Boolean);
  label.append(element("span", "muted document-details", details.join(" · ")));
  card.append(label);
  if (url) card.append(element("span", "document-download", "⬇"));
  return card;
}

function note(kind, status, media) {
  const box = element("div", `media-placeholder media-${kind} media-${status}`);
  box.append(element("span", "media-icon", status === "pending" ? "" : "⚠"));
  if (status === "pending") box.firstChild.className = "spinner";
  const label = element("span", "media-label");
  label.append(element("strong", null, t(`media_${kind}`)));
  label.append(element("span", "muted media-status", t(`media_status_${status}`)));
  if (status === "failed" && media.error) label.append(element("span", "muted", String(media.error)));
  if (media.filename) label.append(element("span", "media-filename", media.filename));
  box.append(label);
  return box;
}

// The nodes for a media message whose `media` is known; null when it is not (placeholder).
export function mediaNodes(kind, message, content) {
  const media = message.media;
  if (!media) return null;
  const status = media.status || "pending";
  if (status !== "stored") {
    const known = ["pending", "failed", "expired", "deleted"].includes(status) ? status : "failed";
    return [note(kind, known, media)];
  }
  const url = mediaUrl(media.url);
  let node;
  if (kind === "image") node = image(media, content.caption);
  else if (kind === "sticker") {
    node = sized(element("img", "sticker"), media);
    node.src = url;
    node.alt = t("media_sticker");
  } else if (kind === "audio" || kind === "voice") {
    node = element("div", `media-audio ${kind}`);
    if (kind === "voice") node.append(element("span", "media-icon", "🎤"));
    const audio = element("audio");
    audio.controls = true;
    audio.preload = "none";
    if (url) audio.src = url;
    node.append(audio);
  } else if (kind === "video") {
    node = sized(element("video", "media-video"), media);
    node.controls = true;
    node.preload = "none";
    const poster = mediaUrl(media.thumbnail_url);
    if (poster) node.poster = poster;
    if (url) node.src = url;
  } else {
    node = documentCard(media, content);
  }
  return [node];
}
