// Cohorts: static ones filled from a CSV upload, property ones from PostHog's filter shape, and where each
// is used.
import { useEffect, useState, type FormEvent } from "react";
import { ApiError, call, describe, get } from "../api/client";
import type { Cohort } from "../api/types";
import { ErrorNote, Status } from "../components/common";
import { useEnv } from "../lib/environment";
import { useSession } from "../lib/session";
import { cohortUsage } from "../lib/usage";

const exampleFilters = `{"properties": {"type": "OR", "values": [{"type": "AND", "values": [
  {"key": "plan", "type": "person", "operator": "exact", "value": ["pro"]}
]}]}}`;

export function Cohorts() {
  const { env, version, guard } = useEnv();
  const { scopes } = useSession();
  const [cohorts, setCohorts] = useState<Cohort[] | null>(null);
  const [usage, setUsage] = useState<Map<number, string[]> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const base = `/environments/${env.id}/cohorts`;
  useEffect(() => {
    get<{ cohorts: Cohort[] }>(base).then(
      (r) => {
        setCohorts(r.cohorts);
        cohortUsage(env.id!, r.cohorts).then(setUsage, (e) => setError(describe(e)));
      },
      (e) => setError(describe(e)),
    );
  }, [base, version, env.id]);

  const upload = async (c: Cohort, file: File, mode: "PUT" | "POST") => {
    if (!(await guard(mode === "PUT" ? "replace the members of" : "add members to", `cohort "${c.name}"`))) return;
    try {
      const { data } = await call<{ cohort: Cohort }>(mode, `${base}/${c.id}/members`, { raw: file, contentType: "text/csv", ifMatch: `"${c.version}"` });
      setStatus(`${c.name} now has ${data.cohort.member_count} members.`);
      setCohorts((cs) => cs?.map((x) => (x.id === c.id ? data.cohort : x)) ?? null);
    } catch (e) {
      setError(describe(e));
    }
  };
  const remove = async (c: Cohort) => {
    if (!(await guard("delete", `cohort "${c.name}"`))) return;
    try {
      await call("DELETE", `${base}/${c.id}`, { ifMatch: `"${c.version}"` });
      setCohorts((cs) => cs?.filter((x) => x.id !== c.id) ?? null);
      setStatus(`${c.name} deleted.`);
    } catch (e) {
      if (e instanceof ApiError && e.code === "cohort_in_use") {
        const d = e.details as { flags?: string[]; cohorts?: string[] };
        setError(`${c.name} is still used by ${[...(d.flags ?? []).map((f) => `flag ${f}`), ...(d.cohorts ?? []).map((x) => `cohort ${x}`)].join(", ")}.`);
      } else setError(describe(e));
    }
  };

  return (
    <section aria-labelledby="cohorts-title">
      <h1 id="cohorts-title">Cohorts</h1>
      <ErrorNote error={error} />
      <Status text={status} />
      {!cohorts ? (
        <p className="loading">Loading cohorts…</p>
      ) : cohorts.length === 0 ? (
        <p>No cohorts yet.</p>
      ) : (
        <table className="list" data-testid="cohort-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col">Members</th>
              <th scope="col">Used by</th>
              {scopes.write && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {cohorts.map((c) => (
              <tr key={c.id} data-cohort={c.name}>
                <td>
                  {c.name}
                  {c.description && <div className="muted">{c.description}</div>}
                </td>
                <td>{c.is_static ? "static" : "property"}</td>
                <td>{c.is_static ? c.member_count : "—"}</td>
                <td data-col="usage">{usage === null ? "…" : (usage.get(c.id!) ?? []).join(", ") || "not used"}</td>
                {scopes.write && (
                  <td>
                    {c.is_static && (
                      <>
                        <label className="file">
                          Replace members (CSV)
                          <input type="file" accept=".csv,text/csv,text/plain" onChange={(e) => e.target.files?.[0] && upload(c, e.target.files[0], "PUT")} />
                        </label>
                        <label className="file">
                          Add members (CSV)
                          <input type="file" accept=".csv,text/csv,text/plain" onChange={(e) => e.target.files?.[0] && upload(c, e.target.files[0], "POST")} />
                        </label>
                      </>
                    )}
                    <button type="button" className="small danger" onClick={() => remove(c)}>
                      Delete {c.name}
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {scopes.write && <NewCohort base={base} onCreated={(c) => setCohorts((cs) => [...(cs ?? []), c])} />}
    </section>
  );
}

function NewCohort({ base, onCreated }: { base: string; onCreated: (c: Cohort) => void }) {
  const { guard } = useEnv();
  const [name, setName] = useState("");
  const [kind, setKind] = useState<"static" | "property">("static");
  const [file, setFile] = useState<File | null>(null);
  const [filters, setFilters] = useState(exampleFilters);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    if (!(await guard("create", `cohort "${name}"`))) return;
    try {
      const body: Record<string, unknown> = { name, is_static: kind === "static" };
      if (kind === "property") body.filters = JSON.parse(filters);
      let { data } = await call<{ cohort: Cohort }>("POST", base, { body });
      if (kind === "static" && file) {
        data = (await call<{ cohort: Cohort }>("PUT", `${base}/${data.cohort.id}/members`, { raw: file, contentType: "text/csv" })).data;
      }
      onCreated(data.cohort);
      setName("");
      setFile(null);
    } catch (err) {
      if (err instanceof ApiError && err.problems.length) setError(err.problems.map((p) => `${p.path}: ${p.message}`).join("; "));
      else setError(err instanceof SyntaxError ? `Filters: not valid JSON (${err.message})` : describe(err));
    }
  };
  return (
    <form className="card" onSubmit={submit} aria-labelledby="new-cohort-title">
      <h2 id="new-cohort-title">New cohort</h2>
      <div className="grid2">
        <label htmlFor="cohort-name">Name</label>
        <input id="cohort-name" value={name} onChange={(e) => setName(e.target.value)} required />
        <span className="label">Kind</span>
        <span>
          <label className="check">
            <input type="radio" name="kind" checked={kind === "static"} onChange={() => setKind("static")} /> Static (a list of distinct ids)
          </label>
          <label className="check">
            <input type="radio" name="kind" checked={kind === "property"} onChange={() => setKind("property")} /> Property (matches on person properties)
          </label>
        </span>
        {kind === "static" ? (
          <>
            <label htmlFor="cohort-csv">Members (CSV: first column, optional header)</label>
            <input id="cohort-csv" type="file" accept=".csv,text/csv,text/plain" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
          </>
        ) : (
          <>
            <label htmlFor="cohort-filters">Filters (PostHog's shape)</label>
            <textarea id="cohort-filters" className="mono" rows={5} value={filters} onChange={(e) => setFilters(e.target.value)} />
          </>
        )}
      </div>
      <ErrorNote error={error} />
      <button type="submit" className="primary" disabled={!name}>
        Create cohort
      </button>
    </form>
  );
}
