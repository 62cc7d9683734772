// Audit entries, newest first, each with who, when, what, and its before/after diff on demand.
import { useEffect, useState } from "react";
import { describe, get } from "../api/client";
import type { AuditEntry } from "../api/types";
import { ErrorNote, when } from "./common";
import { Diff } from "./Diff";

export function AuditEntries({ query, version }: { query: string; version: number }) {
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    get<{ entries: AuditEntry[]; next_cursor: string | null }>(`/audit?${query}&limit=50`).then(
      (p) => {
        setEntries(p.entries);
        setCursor(p.next_cursor);
      },
      (e) => setError(describe(e)),
    );
  }, [query, version]);
  const more = async () => {
    try {
      const p = await get<{ entries: AuditEntry[]; next_cursor: string | null }>(`/audit?${query}&limit=50&cursor=${encodeURIComponent(cursor!)}`);
      setEntries((e) => [...(e ?? []), ...p.entries]);
      setCursor(p.next_cursor);
    } catch (e) {
      setError(describe(e));
    }
  };
  if (error) return <ErrorNote error={error} />;
  if (!entries) return <p className="loading">Loading…</p>;
  if (entries.length === 0) return <p>Nothing recorded yet.</p>;
  return (
    <>
      <ol className="audit" data-testid="audit-entries">
        {entries.map((a) => (
          <li key={a.id}>
            <details>
              <summary>
                <strong>{a.action}</strong> <code>{a.resource}</code> by <strong>{a.actor}</strong> on {when(a.created_at)}
                {a.environment_version ? <span className="muted"> · environment version {a.environment_version}</span> : null}
              </summary>
              <Diff before={a.before} after={a.after} label={`Before (−) and after (+) of ${a.action} ${a.resource}`} />
            </details>
          </li>
        ))}
      </ol>
      {cursor && (
        <button type="button" onClick={more}>
          Older entries
        </button>
      )}
    </>
  );
}
