// fetch() for the JSON API: same-origin cookies, the CSRF token on writes, and
// {"error": {"code", "message"}} turned into a thrown ApiError with that message.
import { t } from "./i18n.js";

export class ApiError extends Error {
  constructor(message, { status = 0, code = "error", fields = null } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    // Per-field messages ({"body.1": "Requerido"}) for a form to show beside its inputs.
    this.fields = fields;
  }
}

const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE"]);

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

// keepalive: the request outlives the page (a "left" sent as the tab closes).
export async function request(method, path, body, { keepalive = false } = {}) {
  const headers = { Accept: "application/json" };
  const init = { method, headers, credentials: "same-origin", keepalive };
  if (body instanceof FormData) {
    // The browser writes the multipart boundary itself.
    init.body = body;
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  if (WRITES.has(method)) headers["X-CSRF-Token"] = csrfToken();

  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(t("error_network"), { code: "network" });
  }
  if (response.status === 401) {
    // The session ended (expired, or logged out in another tab): back to the login page.
    window.location.assign("/login");
    throw new ApiError(t("error_session_expired"), { status: 401, code: "unauthorized" });
  }
  if (response.status === 204) return null;

  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const error = data && typeof data.error === "object" ? data.error : null;
    throw new ApiError((error && error.message) || t("error_generic"), {
      status: response.status,
      code: (error && error.code) || `http_${response.status}`,
      fields: error && error.fields && typeof error.fields === "object" ? error.fields : null,
    });
  }
  return data;
}

export const api = {
  get: (path) => request("GET", path),
  post: (path, body) => request("POST", path, body),
  upload: (path, formData) => request("POST", path, formData),
  put: (path, body) => request("PUT", path, body),
  patch: (path, body) => request("PATCH", path, body),
  delete: (path) => request("DELETE", path),
};
