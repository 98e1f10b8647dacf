// Attachments: the file picker, a file dropped on the thread or an image pasted in the
// composer. The file is checked against WhatsApp's limits, previewed with a caption, then
// uploaded (multipart) to /conversations/{id}/media; its bubble shows pending until the
// server says it is stored.
import { api } from "./api.js";
import { ACCEPT, checkFile, formatBytes } from "./attach-limits.js";
import { element } from "./dom.js";
import { field, openDialog } from "./dialog.js";
import { t } from "./i18n.js";
import { on } from "./store.js";
import { markFailed, optimistic } from "./outgoing.js";
import { upsertMessage } from "./thread.js";
import { toast } from "./toast.js";

const input = document.getElementById("file-input");
const thread = document.getElementById("thread");
const textarea = document.getElementById("composer");

let conversation = null;
let allowed = false;

const CAPTIONED = new Set(["image", "video", "document"]);

export async function uploadMedia(conversationId, file, { caption = "", voice = false, kind }) {
  const message = optimistic(conversationId, {
    type: kind === "voice" ? "audio" : kind,
    text: caption || null,
    summary: file.name,
    content: { caption, filename: kind === "document" ? file.name : "", voice },
    media: { status: "pending", filename: file.name, size: file.size, mime_type: file.type },
  });
  const form = new FormData();
  form.append("file", file, file.name);
  if (caption) form.append("caption", caption);
  form.append("local_id", message.local_id);
  if (voice) form.append("voice", "true");
  upsertMessage(message);
  try {
    const accepted = await api.upload(`/api/v1/conversations/${conversationId}/media`, form);
    if (accepted) upsertMessage(accepted);
  } catch (error) {
    // A file cannot be sent again without the agent picking it again: no retry button.
    markFailed(message, { message: error.message, status: error.status || 400 });
  }
}

// A quick reply's file (kept by the server): sent with the reply's text as its caption,
// after the same dialog as any file, where the caption can still be changed.
export function sendCannedFile(target, item, text) {
  if (!target) return;
  const file = item.attachment;
  const caption = field({ name: "caption", label: t("attach_caption"), multiline: true, max: 1024 });
  caption.input.value = text;
  const box = element("div", `attach-preview attach-${file.kind}`);
  const label = element("p", "attach-name");
  label.append(
    element("span", "document-icon", "📎 "),
    element("strong", null, file.filename || file.kind),
    element("span", "muted", ` · ${formatBytes(file.size)}`),
  );
  box.append(label);
  const nodes = [box];
  if (CAPTIONED.has(file.kind)) nodes.push(caption.wrap);
  openDialog({
    heading: t("canned_send_file_title", { shortcut: item.shortcut }),
    kind: "attach",
    nodes,
    onSubmit: () => {
      const shownCaption = CAPTIONED.has(file.kind) ? caption.input.value.trim() : "";
      const message = optimistic(target.id, {
        type: file.kind,
        text: shownCaption || null,
        summary: file.filename || file.kind,
        content: { caption: shownCaption, filename: file.kind === "document" ? file.filename : "" },
        media: { status: "pending", filename: file.filename, size: file.size, mime_type: file.mime_type },
      });
      const form = new FormData();
      form.append("canned_id", String(item.id));
      if (shownCaption) form.append("caption", shownCaption);
      form.append("local_id", message.local_id);
      upsertMessage(message);
      api
        .upload(`/api/v1/conversations/${target.id}/media`, form)
        .then((accepted) => accepted && upsertMessage(accepted))
        .catch((error) => markFailed(message, { message: error.message, status: error.status || 400 }));
    },
  });
}

function preview(file, kind) {
  const box = element("div", `attach-preview attach-${kind}`);
  if (kind === "image" || kind === "sticker") {
    const img = element("img");
    img.src = URL.createObjectURL(file);
    img.alt = file.name;
    img.addEventListener("load", () => URL.revokeObjectURL(img.src), { once: true });
    box.append(img);
  } else if (kind === "video" || kind === "audio") {
    const player = element(kind);
    player.controls = true;
    player.src = URL.createObjectURL(file);
    box.append(player);
  } else {
    box.append(element("span", "document-icon", "📄"));
  }
  const label = element("p", "attach-name");
  label.append(element("strong", null, file.name), element("span", "muted", ` · ${formatBytes(file.size)}`));
  box.append(label);
  return box;
}

export function attachFile(file) {
  if (!conversation || !allowed) return;
  const checked = checkFile(file);
  if (checked.error) {
    toast(checked.error, { error: true, ms: 6000 });
    return;
  }
  const target = conversation;
  const caption = field({ name: "caption", label: t("attach_caption"), multiline: true, max: 1024 });
  const nodes = [preview(file, checked.kind)];
  if (CAPTIONED.has(checked.kind)) nodes.push(caption.wrap);
  openDialog({
    heading: t("attach_title", { kind: t(`media_${checked.kind}`) }),
    kind: "attach",
    nodes,
    onSubmit: () => {
      uploadMedia(target.id, file, { caption: caption.input.value.trim(), kind: checked.kind });
    },
  });
}

export function pickFile() {
  input.value = "";
  input.click();
}

export function setupAttachments() {
  input.accept = ACCEPT;
  on("composer", (detail) => {
    conversation = detail.conversation;
    allowed = detail.lock === "";
  });
  input.addEventListener("change", () => {
    if (input.files && input.files[0]) attachFile(input.files[0]);
  });
  thread.addEventListener("dragover", (event) => {
    if (!allowed || !event.dataTransfer?.types.includes("Files")) return;
    event.preventDefault();
    thread.classList.add("drop-target");
  });
  thread.addEventListener("dragleave", () => thread.classList.remove("drop-target"));
  thread.addEventListener("drop", (event) => {
    thread.classList.remove("drop-target");
    const file = event.dataTransfer?.files?.[0];
    if (!file || !allowed) return;
    event.preventDefault();
    attachFile(file);
  });
  textarea.addEventListener("paste", (event) => {
    const item = [...(event.clipboardData?.items || [])].find((entry) => entry.kind === "file");
    const file = item && item.getAsFile();
    if (!file) return;
    event.preventDefault();
    attachFile(file.name ? file : new File([file], `imagen.${file.type.split("/")[1] || "png"}`, { type: file.type }));
  });
}
