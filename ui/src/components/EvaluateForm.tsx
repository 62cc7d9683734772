// Ask the writer what the engine answers for a distinct id and properties: for every flag, one flag, or an
// unsaved draft of the flag being edited (POST /environments/{id}/evaluate).
import { useState, type FormEvent } from "react";
import { ApiError, call, describe } from "../api/client";
import type { EvaluateRequest, EvaluateResponse, FlagDocument, Problem } from "../api/types";
import { ErrorNote } from "./common";

function parseObject(label: string, text: string): Record<string, unknown> {
  if (!text.trim()) return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`${label}: not valid JSON (${(e as Error).message})`);
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) throw new Error(`${label}: must be a JSON object`);
  return v as Record<string, unknown>;
}

export function EvaluateForm({ envId, flagKey, draft, idPrefix, onProblems }: {
  envId: number;
  flagKey?: string;
  draft?: () => FlagDocument;
  idPrefix: string;
  /** Receives a draft's validation problems, their paths relative to the flag document. */
  onProblems?: (p: Problem[]) => void;
}) {
  const [distinctId, setDistinctId] = useState("");
  const [person, setPerson] = useState("{}");
  const [groups, setGroups] = useState("{}");
  const [groupProps, setGroupProps] = useState("{}");
  const [only, setOnly] = useState(flagKey ?? "");
  const [result, setResult] = useState<EvaluateResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = (s: string) => `${idPrefix}-${s}`;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const req: EvaluateRequest = {
        distinct_id: distinctId,
        person_properties: parseObject("Person properties", person),
        groups: parseObject("Groups", groups) as Record<string, string>,
        group_properties: parseObject("Group properties", groupProps) as Record<string, Record<string, unknown>>,
      };
      if (draft) {
        const d = draft();
        req.draft = d;
        req.flag_keys = [d.key!];
      } else if (only.trim()) req.flag_keys = [only.trim()];
      setResult((await call<EvaluateResponse>("POST", `/environments/${envId}/evaluate`, { body: req })).data);
    } catch (err) {
      setResult(null);
      if (err instanceof ApiError && err.problems.length) {
        setError(`The draft does not validate: ${err.problems.map((p) => `${p.path}: ${p.message}`).join("; ")}`);
        onProblems?.(err.problems.map((p) => ({ ...p, path: p.path.replace(/^draft\./, "") })));
      }
      else setError(describe(err));
    } finally {
      setBusy(false);
    }
  };
  const rows = result ? Object.entries(result.flags).sort(([a], [b]) => a.localeCompare(b)) : [];
  return (
    <form className="evaluate" onSubmit={submit}>
      <div className="grid2">
        <label htmlFor={id("distinct")}>Distinct id</label>
        <input id={id("distinct")} value={distinctId} onChange={(e) => setDistinctId(e.target.value)} required />
        {!draft && (
          <>
            <label htmlFor={id("flag")}>Flag key (empty: every flag)</label>
            <input id={id("flag")} value={only} onChange={(e) => setOnly(e.target.value)} />
          </>
        )}
        <label htmlFor={id("person")}>Person properties (JSON)</label>
        <textarea id={id("person")} className="mono" rows={3} value={person} onChange={(e) => setPerson(e.target.value)} />
        <label htmlFor={id("groups")}>Groups (JSON: group type → key)</label>
        <textarea id={id("groups")} className="mono" rows={2} value={groups} onChange={(e) => setGroups(e.target.value)} />
        <label htmlFor={id("gprops")}>Group properties (JSON: group type → properties)</label>
        <textarea id={id("gprops")} className="mono" rows={2} value={groupProps} onChange={(e) => setGroupProps(e.target.value)} />
      </div>
      <button type="submit" className="primary" disabled={busy || !distinctId}>
        {draft ? "Evaluate this draft" : "Evaluate"}
      </button>
      <ErrorNote error={error} />
      {result && (
        <table className="list" data-testid={`${idPrefix}-result`} aria-label="Evaluation result">
          <caption>At environment version {result.environment_version}{draft ? ", with the unsaved draft" : ""}</caption>
          <thead>
            <tr>
              <th scope="col">Flag</th>
              <th scope="col">Enabled</th>
              <th scope="col">Variant</th>
              <th scope="col">Payload</th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(([key, r]) => (
              <tr key={key} data-flag={key}>
                <td>{key}</td>
                <td data-col="enabled">{r.enabled ? "true" : "false"}</td>
                <td data-col="variant">{r.variant ?? "—"}</td>
                <td>
                  <code>{r.payload === null || r.payload === undefined ? "—" : JSON.stringify(r.payload)}</code>
                </td>
                <td data-col="reason">
                  {r.reason.description || r.reason.code}
                  {r.reason.condition_index !== null && r.reason.condition_index !== undefined && ` (condition ${r.reason.condition_index + 1})`}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </form>
  );
}
