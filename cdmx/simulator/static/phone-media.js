// The customer sends files: a photo or a document from the attach menu, a voice note
// recorded with the microphone (sent as a voice note; the browser records WebM/Opus).

const $ = (selector) => document.querySelector(selector);

export function setupMedia({ send, t, setStatus }) {
  const menu = $("#attach-menu");
  const attach = $("#attach");
  const inputs = { photo: $("#photo-input"), document: $("#document-input") };
  for (const button of menu.querySelectorAll("button[data-file]")) {
    button.addEventListener("click", () => {
      menu.hidden = true;
      attach.setAttribute("aria-expanded", "false");
      inputs[button.dataset.file].click();
    });
  }
  for (const input of Object.values(inputs)) {
    input.addEventListener("change", async () => {
      const files = [...input.files];
      input.value = "";
      for (const file of files) await send(file);
    });
  }

  const record = $("#record");
  let recorder = null;
  const stop = () => {
    record.classList.remove("recording");
    record.setAttribute("aria-pressed", "false");
    record.setAttribute("aria-label", t("record"));
  };
  record.addEventListener("click", async () => {
    if (recorder) {
      recorder.stop();
      return;
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch {
      setStatus("micFailed", "error");
      return;
    }
    const type = ["audio/ogg;codecs=opus", "audio/webm;codecs=opus", "audio/webm"]
      .find((each) => MediaRecorder.isTypeSupported(each));
    const chunks = [];
    recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
    recorder.addEventListener("dataavailable", (event) => chunks.push(event.data));
    recorder.addEventListener("stop", async () => {
      for (const track of stream.getTracks()) track.stop();
      const mime = recorder.mimeType || type || "audio/webm";
      recorder = null;
      stop();
      const blob = new Blob(chunks, { type: mime });
      const extension = mime.startsWith("audio/ogg") ? "ogg" : "webm";
      if (blob.size) await send(blob, { voice: true, filename: `nota-de-voz.${extension}` });
    });
    recorder.start();
    record.classList.add("recording");
    record.setAttribute("aria-pressed", "true");
    record.setAttribute("aria-label", t("stopRecording"));
  });
}
