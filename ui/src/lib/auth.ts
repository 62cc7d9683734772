// The admin token lives in sessionStorage only: sent as a bearer header, never in a URL or a cookie, and gone
// when the tab closes.
const KEY = "halyard.token";
const listeners = new Set<(reason: string | null) => void>();

export function getToken(): string | null {
  return sessionStorage.getItem(KEY);
}

export function setToken(token: string) {
  sessionStorage.setItem(KEY, token);
  listeners.forEach((l) => l(null));
}

/** Signs out; reason, when given, is shown on the sign-in screen. */
export function clearToken(reason: string | null = null) {
  if (sessionStorage.getItem(KEY) === null) return;
  sessionStorage.removeItem(KEY);
  listeners.forEach((l) => l(reason));
}

export function onTokenChange(l: (reason: string | null) => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}
