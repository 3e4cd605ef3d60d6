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

export function archiveUrl(jobIds) {
  return `${API}/archive?jobs=${jobIds.map(encodeURIComponent).join(",")}`;
}
