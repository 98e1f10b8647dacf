// WhatsApp's media limits, checked in the browser before anything is uploaded (the server
// checks the same ones, from the bytes): type by MIME type (or the file name's extension
// when the browser does not know it) and size per type.
import { t } from "./i18n.js";

const MB = 1024 * 1024;

const TYPES = [
  { kind: "sticker", max: 100 * 1024, mimes: ["image/webp"], exts: ["webp"] },
  { kind: "image", max: 5 * MB, mimes: ["image/jpeg", "image/png"], exts: ["jpg", "jpeg", "png"] },
  {
    kind: "audio", max: 16 * MB,
    mimes: ["audio/aac", "audio/amr", "audio/mpeg", "audio/mp3", "audio/mp4", "audio/m4a", "audio/x-m4a", "audio/ogg", "audio/webm"],
    exts: ["aac", "amr", "mp3", "m4a", "ogg", "opus"],
  },
  { kind: "video", max: 16 * MB, mimes: ["video/mp4", "video/3gpp"], exts: ["mp4", "3gp"] },
  {
    kind: "document", max: 100 * MB,
    mimes: [
      "application/pdf", "text/plain", "application/msword",
      "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
      "application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
      "application/vnd.ms-powerpoint", "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ],
    exts: ["pdf", "txt", "doc", "docx", "xls", "xlsx", "ppt", "pptx"],
  },
];  // prettier-ignore

export const ACCEPT = TYPES.flatMap((type) => type.mimes.concat(type.exts.map((ext) => `.${ext}`))).join(",");

export function formatBytes(bytes) {
  if (bytes >= MB) return `${(bytes / MB).toFixed(bytes >= 10 * MB ? 0 : 1)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} B`;
}

function typeOf(file) {
  const mime = (file.type || "").split(";")[0].trim().toLowerCase();
  const ext = (/\.(\w+)$/.exec(file.name || "") || [])[1]?.toLowerCase() || "";
  return TYPES.find((type) => (mime ? type.mimes.includes(mime) : type.exts.includes(ext))) || null;
}

// {kind} when WhatsApp takes it, {error} with the sentence to show when it does not.
export function checkFile(file) {
  const type = typeOf(file);
  if (!type) return { error: t("attach_bad_type", { name: file.name || "?" }) };
  if (file.size > type.max) {
    return { error: t("attach_too_big", { name: file.name || "?", max: formatBytes(type.max), kind: t(`media_${type.kind}`) }) };
  }
  if (file.size === 0) return { error: t("attach_empty", { name: file.name || "?" }) };
  return { kind: type.kind };
}
