// Voice notes: click the microphone (or hold it) to record, stop, listen, send. The browser
// records OGG/Opus when it can, else WebM/Opus; the server converts to what WhatsApp plays
// as a voice note, and the upload says voice=true.
import { uploadMedia } from "./attach.js";
import { t } from "./i18n.js";
import { on } from "./store.js";
import { toast } from "./toast.js";

const button = document.getElementById("record-button");
const bar = document.getElementById("recorder-bar");
const time = document.getElementById("recorder-time");
const audio = document.getElementById("recorder-audio");
const stopButton = document.getElementById("recorder-stop");
const sendButton = document.getElementById("recorder-send");
const discardButton = document.getElementById("recorder-discard");

const HOLD_MS = 400;
let recorder = null;
let chunks = [];
let recording = null; // the finished Blob
let started = 0;
let ticker = 0;
let conversation = null;
let pressedAt = 0;

export function recordingMime() {
  if (!window.MediaRecorder) return null;
  for (const type of ["audio/ogg;codecs=opus", "audio/webm;codecs=opus", "audio/webm"]) {
    if (MediaRecorder.isTypeSupported(type)) return type;
  }
  return "";
}

function showTime() {
  const seconds = Math.floor((Date.now() - started) / 1000);
  time.textContent = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

function reset() {
  clearInterval(ticker);
  if (recorder && recorder.state !== "inactive") recorder.stop();
  recorder?.stream.getTracks().forEach((track) => track.stop());
  recorder = null;
  recording = null;
  chunks = [];
  if (audio.src) URL.revokeObjectURL(audio.src);
  audio.removeAttribute("src");
  audio.hidden = true;
  bar.hidden = true;
  bar.classList.remove("recording");
  button.classList.remove("recording");
}

async function start() {
  const mime = recordingMime();
  if (mime === null || !navigator.mediaDevices?.getUserMedia) {
    toast(t("recorder_unsupported"), { error: true });
    return;
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  } catch {
    toast(t("recorder_denied"), { error: true });
    return;
  }
  chunks = [];
  recorder = new MediaRecorder(stream, mime ? { mimeType: mime } : undefined);
  recorder.addEventListener("dataavailable", (event) => {
    if (event.data.size) chunks.push(event.data);
  });
  recorder.addEventListener("stop", () => {
    stream.getTracks().forEach((track) => track.stop());
    recording = new Blob(chunks, { type: recorder?.mimeType || mime || "audio/webm" });
    audio.src = URL.createObjectURL(recording);
    audio.hidden = false;
    stopButton.hidden = true;
    sendButton.hidden = false;
    bar.classList.remove("recording");
    button.classList.remove("recording");
  });
  recorder.start();
  started = Date.now();
  showTime();
  ticker = setInterval(showTime, 500);
  bar.hidden = false;
  bar.classList.add("recording");
  button.classList.add("recording");
  stopButton.hidden = false;
  sendButton.hidden = true;
}

function stop() {
  clearInterval(ticker);
  if (recorder && recorder.state === "recording") recorder.stop();
}

function send() {
  if (!recording || !conversation) return;
  const type = recording.type.split(";")[0] || "audio/webm";
  const file = new File([recording], `nota-de-voz.${type.endsWith("ogg") ? "ogg" : "webm"}`, { type });
  uploadMedia(conversation.id, file, { voice: true, kind: "voice" });
  reset();
}

export function setupRecorder() {
  on("composer", (detail) => {
    if (detail.conversation?.id !== conversation?.id) reset();
    conversation = detail.conversation;
    button.disabled = detail.lock !== "";
    if (button.disabled && !bar.hidden) reset();
  });
  // A click starts and the stop button ends; a press held down records until released.
  button.addEventListener("pointerdown", () => {
    pressedAt = Date.now();
    if (!recorder) start();
  });
  button.addEventListener("pointerup", () => {
    if (recorder && Date.now() - pressedAt > HOLD_MS) stop();
  });
  button.addEventListener("click", (event) => {
    if (event.detail === 0 && !recorder) start(); // the keyboard: Enter or Space
  });
  stopButton.addEventListener("click", stop);
  sendButton.addEventListener("click", send);
  discardButton.addEventListener("click", reset);
}
