// Live changes: the writer's event stream of an environment's version, read with fetch (EventSource cannot
// send the bearer header). Screens refetch what they show when the version moves; each decides itself
// whether that may replace what the user is editing.
import { useEffect, useState } from "react";
import { getToken } from "./auth";

/** Parses server-sent events from text chunks; returns the unparsed rest. */
export function parseEvents(buffer: string, onEvent: (event: string, data: string) => void): string {
  const blocks = buffer.split(/\r?\n\r?\n/);
  const rest = blocks.pop() ?? "";
  for (const block of blocks) {
    let event = "message";
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith(":")) continue;
      const at = line.indexOf(":");
      const field = at < 0 ? line : line.slice(0, at);
      const value = at < 0 ? "" : line.slice(at + 1).replace(/^ /, "");
      if (field === "event") event = value;
      else if (field === "data") data.push(value);
    }
    if (data.length) onEvent(event, data.join("\n"));
  }
  return rest;
}

async function follow(envId: number, signal: AbortSignal, onVersion: (v: number) => void) {
  const res = await fetch(`/api/v1/environments/${envId}/events`, {
    headers: { Authorization: `Bearer ${getToken()}`, Accept: "text/event-stream" },
    signal,
    cache: "no-store",
  });
  if (!res.ok || !res.body) throw Object.assign(new Error(`events: ${res.status}`), { status: res.status });
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer = parseEvents(buffer + value, (event, data) => {
      if (event === "version") onVersion(JSON.parse(data).version);
    });
  }
}

/** Polls the environment's version: the fallback for a writer without the event stream. */
async function poll(envId: number, signal: AbortSignal, onVersion: (v: number) => void) {
  const res = await fetch(`/api/v1/environments/${envId}`, { headers: { Authorization: `Bearer ${getToken()}` }, signal, cache: "no-store" });
  if (res.ok) onVersion((await res.json()).version);
}

/** The environment's current version, following the writer's event stream (reconnecting after failures). */
export function useEnvironmentVersion(envId: number | null): number | null {
  const [version, setVersion] = useState<number | null>(null);
  useEffect(() => {
    if (envId === null) return;
    setVersion(null);
    const ctl = new AbortController();
    const onVersion = (v: number) => setVersion((old) => (old === null || v > old ? v : old));
    (async () => {
      let wait = 500;
      let streamMissing = false;
      while (!ctl.signal.aborted) {
        try {
          if (streamMissing) await poll(envId, ctl.signal, onVersion);
          else {
            await follow(envId, ctl.signal, onVersion);
            wait = 500;
          }
        } catch (e) {
          if (ctl.signal.aborted) return;
          const status = (e as { status?: number }).status;
          if (status === 404 || status === 405) streamMissing = true;
          if (status === 401 || status === 403) return;
        }
        await new Promise((r) => setTimeout(r, streamMissing ? 3000 : wait));
        wait = Math.min(wait * 2, 10_000);
      }
    })();
    return () => ctl.abort();
  }, [envId]);
  return version;
}
