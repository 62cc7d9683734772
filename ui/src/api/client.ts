// The admin API client: the bearer token from sessionStorage on every call, JSON in and out, and every
// error as an ApiError carrying the API's code, message and details (a 422's problems).
import { clearToken, getToken } from "../lib/auth";
import type { Problem } from "./types";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }

  /** The validation problems of a 422, each with the field path it is about. */
  get problems(): Problem[] {
    return this.status === 422 && Array.isArray(this.details) ? (this.details as Problem[]) : [];
  }
}

export interface Answer<T> {
  data: T;
  etag: string | null;
  status: number;
}

export interface CallOptions {
  body?: unknown;
  /** Sent as is (a File or CSV text) with contentType instead of as JSON. */
  raw?: BodyInit;
  contentType?: string;
  ifMatch?: string | null;
  signal?: AbortSignal;
}

export async function call<T>(method: string, path: string, o: CallOptions = {}): Promise<Answer<T>> {
  const headers: Record<string, string> = { Accept: "application/json" };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let body: BodyInit | undefined;
  if (o.raw !== undefined) {
    body = o.raw;
    headers["Content-Type"] = o.contentType ?? "application/octet-stream";
  } else if (o.body !== undefined) {
    body = JSON.stringify(o.body);
    headers["Content-Type"] = "application/json";
  }
  if (o.ifMatch) headers["If-Match"] = o.ifMatch;
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, { method, headers, body, signal: o.signal, cache: "no-store" });
  } catch (e) {
    if ((e as Error).name === "AbortError") throw e;
    throw new ApiError(0, "network_error", "The writer cannot be reached. Check that it is running and try again.");
  }
  const text = res.status === 204 ? "" : await res.text();
  const data = text ? safeJSON(text) : undefined;
  if (!res.ok) {
    const err = (data ?? {}) as { code?: string; message?: string; details?: unknown };
    if (res.status === 401) clearToken(err.message ?? "Your token is no longer accepted.");
    throw new ApiError(res.status, err.code ?? `http_${res.status}`, err.message ?? res.statusText, err.details);
  }
  return { data: data as T, etag: res.headers.get("ETag"), status: res.status };
}

function safeJSON(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text };
  }
}

export const get = <T>(path: string, signal?: AbortSignal) => call<T>("GET", path, { signal }).then((a) => a.data);

/** A human sentence for any error, naming a missing scope clearly. */
export function describe(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 403) return `Not allowed: your token lacks the scope for this (${e.message}).`;
    return e.message || e.code;
  }
  return (e as Error)?.message ?? String(e);
}
