// The live event stream (SSE). The browser resends Last-Event-ID by itself when it
// reconnects; if it gives up (the stream answered with an error), a new EventSource is
// opened with backoff and, having lost its place, the state is reloaded on open.
import { t } from "./i18n.js";

const TYPES = [
  "message.created",
  "message.updated",
  "conversation.created",
  "conversation.updated",
  "conversation.assigned",
  "conversation.closed",
  "conversation.snoozed",
  "conversation.woken",
  "conversation.rerouted",
  "agent.updated",
  "user.updated",
  "mention.created",
  "conversation.activity",
];

const banner = document.getElementById("connection-banner");
// A reconnect that takes less than this does not flash the banner.
const BANNER_DELAY_MS = 1500;

let bannerTimer = null;
let offline = false;

function setOffline(value) {
  if (value === offline) return;
  offline = value;
  clearTimeout(bannerTimer);
  if (value) {
    bannerTimer = setTimeout(() => {
      banner.textContent = t("connection_lost");
      banner.classList.remove("restored");
      banner.hidden = false;
    }, BANNER_DELAY_MS);
  } else if (!banner.hidden) {
    banner.textContent = t("connection_restored");
    banner.classList.add("restored");
    bannerTimer = setTimeout(() => {
      banner.hidden = true;
    }, 2000);
  }
}

// onReady runs on the server's "hello" (the stream is following it), so state loaded after
// it cannot miss an event; a "reset" calls onReset instead.
export function connectEvents({ onEvent, onReset, onReady = () => {}, url = "/api/v1/events" }) {
  let source = null;
  let delay = 1000;
  let lostPlace = false;

  function open() {
    source = new EventSource(url);
    source.addEventListener("open", () => {
      delay = 1000;
      setOffline(false);
      if (lostPlace) {
        lostPlace = false;
        onReset();
      }
    });
    source.addEventListener("error", () => {
      setOffline(true);
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        lostPlace = true;
        setTimeout(open, delay + Math.random() * 500);
        delay = Math.min(delay * 2, 30_000);
      }
    });
    source.addEventListener("hello", () => onReady());
    source.addEventListener("reset", () => onReset());
    for (const type of TYPES) {
      source.addEventListener(type, (event) => {
        let data;
        try {
          data = JSON.parse(event.data);
        } catch {
          return;
        }
        onEvent(type, data);
      });
    }
  }

  window.addEventListener("offline", () => setOffline(true));
  // Back online with the stream still open (a short blip): nothing was lost.
  window.addEventListener("online", () => {
    if (source && source.readyState === EventSource.OPEN) setOffline(false);
  });
  open();
  return () => source && source.close();
}
