// Sending an agent's message: a local_id, the optimistic bubble, and the POST whose answer
// (or failure) replaces it. Forms use sendForm instead: their errors belong in the form.
import { api } from "./api.js";
import { state } from "./store.js";
import { upsertMessage } from "./thread.js";

// crypto.randomUUID only exists on https or localhost; a console on a closed network may
// be plain http, where getRandomValues still works.
export function newLocalId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// The bubble shown before the server answers.
export function optimistic(conversationId, fields) {
  return {
    id: null,
    local_id: newLocalId(),
    conversation_id: conversationId,
    direction: "outbound",
    type: "text",
    text: null,
    summary: "",
    status: "queued",
    wamid: null,
    created_at: new Date().toISOString(),
    author: { id: state.user.id, name: state.user.name },
    error: null,
    content: null,
    context: null,
    media: null,
    ...fields,
  };
}

// Only a send that may succeed later (no connection, a server error) offers a retry.
export function markFailed(message, error) {
  const retry = !error.status || error.status >= 500;
  upsertMessage(
    { ...message, status: "failed", client_error: error.message, client_retry: retry },
    { force: true },
  );
}

export function messagesPath(conversationId) {
  return `/api/v1/conversations/${conversationId}/messages`;
}

// POST a structured message and show the accepted one; errors are thrown to the form.
export async function sendForm(conversationId, body) {
  const accepted = await api.post(messagesPath(conversationId), { local_id: newLocalId(), ...body });
  if (accepted) upsertMessage(accepted);
  return accepted;
}
