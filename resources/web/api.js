// The REST API as the page speaks it: the session cookie in place of a key, and the
// session's CSRF token on every change. Errors come back as the API words them.

const API = "/api/v1";
let csrf = "";

export function useSession(session) {
  csrf = session ? session.csrfToken : "";
}

export async function call(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  if (options.method && options.method !== "GET") headers["X-CSRF-Token"] = csrf;
  let body = options.body;
  if (options.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(options.json);
  }
  const answer = await fetch(API + path, {
    method: options.method || "GET",
    headers,
    body,
    credentials: "same-origin",
  });
  const parsed = answer.status === 204 ? null : await answer.json().catch(() => null);
  if (!answer.ok) {
    const message = parsed?.error?.message || `The server answered ${answer.status}.`;
    throw Object.assign(new Error(message), { status: answer.status, code: parsed?.error?.code });
  }
  return parsed;
}

export const MAX_ARCHIVED = 200; // cutouts in one ZIP, as the server takes them

export function archiveUrl(jobIds) {
  return `${API}/archive?jobs=${jobIds.map(encodeURIComponent).join(",")}`;
}

// The server names its downloads by its public address, which may not be the one this
// browser reached it by (a LAN name, localhost): the page asks its own origin.
export function here(url) {
  const parsed = new URL(url, location.href);
  return parsed.pathname + parsed.search + parsed.hash;
}
