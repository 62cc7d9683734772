// Import, export, and copying flags to another environment (promoting staging to production), each change
// previewed before it is sent.
import { useEffect, useState } from "react";
import { ApiError, call, describe, get } from "../api/client";
import type { Flag, FlagPage, ImportResult } from "../api/types";
import { ChangeList } from "../components/ChangeList";
import { ErrorNote, Status, useDebounced } from "../components/common";
import { useConfirm } from "../lib/confirm";
import { envTitle, useEnv } from "../lib/environment";
import { compareFlags, readDocument, type Change } from "../lib/preview";
import { useSession } from "../lib/session";

export function Bulk() {
  const { scopes } = useSession();
  return (
    <section aria-labelledby="bulk-title">
      <h1 id="bulk-title">Import &amp; export</h1>
      <Export />
      {scopes.write && <Import />}
      {scopes.write && <Copy />}
    </section>
  );
}

function Export() {
  const { env } = useEnv();
  const [error, setError] = useState<string | null>(null);
  const download = async () => {
    try {
      const doc = await get<unknown>(`/environments/${env.id}/export`);
      const a = document.createElement("a");
      a.href = URL.createObjectURL(new Blob([JSON.stringify(doc, null, 2)], { type: "application/json" }));
      a.download = `halyard-${env.name}-export.json`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 1000);
    } catch (e) {
      setError(describe(e));
    }
  };
  return (
    <section className="card" aria-labelledby="export-title">
      <h2 id="export-title">Export</h2>
      <p className="help">Every flag, cohort (static members included) and group type of this environment, as one JSON file.</p>
      <button type="button" onClick={download}>
        Download export
      </button>
      <ErrorNote error={error} />
    </section>
  );
}

async function currentFlags(envId: number): Promise<Map<string, Record<string, unknown>>> {
  const out = new Map<string, Record<string, unknown>>();
  let cursor: string | null = null;
  do {
    const page: FlagPage = await get<FlagPage>(`/environments/${envId}/flags?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    page.flags.forEach((f) => out.set(f.key!, f as unknown as Record<string, unknown>));
    cursor = page.next_cursor;
  } while (cursor);
  return out;
}

function Import() {
  const { env, guard } = useEnv();
  const [text, setText] = useState<string | null>(null);
  const [preview, setPreview] = useState<{ kind: string; cohorts: string[]; changes: Change[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const choose = async (file: File | undefined) => {
    setPreview(null);
    setError(null);
    setStatus(null);
    if (!file) return;
    try {
      const t = await file.text();
      const doc = readDocument(JSON.parse(t));
      setText(t);
      setPreview({ kind: doc.kind, cohorts: doc.cohorts, changes: compareFlags(doc.flags, await currentFlags(env.id!)) });
    } catch (e) {
      setError(e instanceof SyntaxError ? `Not valid JSON: ${e.message}` : describe(e));
    }
  };
  const apply = async () => {
    if (!text || !(await guard("import", `${preview?.changes.length} flags`))) return;
    try {
      const { data } = await call<ImportResult>("POST", `/environments/${env.id}/import`, { raw: text, contentType: "application/json" });
      setStatus(
        `Imported: ${data.flags_created} flags created, ${data.flags_updated} replaced, ${data.cohorts_created} cohorts created (environment version ${data.environment_version}).` +
          (data.warnings?.length ? ` Warnings: ${data.warnings.map((w) => w.message).join(" ")}` : ""),
      );
      setPreview(null);
      setText(null);
    } catch (e) {
      setError(e instanceof ApiError && e.problems.length ? e.problems.map((p) => `${p.path}: ${p.message}`).join("; ") : describe(e));
    }
  };
  return (
    <section className="card" aria-labelledby="import-title">
      <h2 id="import-title">Import</h2>
      <label htmlFor="import-file">A Halyard export or a PostHog local-evaluation payload (JSON)</label>
      <input id="import-file" type="file" accept=".json,application/json" onChange={(e) => choose(e.target.files?.[0])} />
      {preview && (
        <>
          <p>
            {preview.kind}
            {preview.cohorts.length > 0 && `, with cohorts ${preview.cohorts.join(", ")}`}.
          </p>
          <ChangeList changes={preview.changes} testId="import-preview" />
          <button type="button" className="primary" onClick={apply}>
            Import into {envTitle(env)}
          </button>
        </>
      )}
      <ErrorNote error={error} />
      <Status text={status} />
    </section>
  );
}

function Copy() {
  const { env } = useEnv();
  const { environments, projects } = useSession();
  const confirm = useConfirm();
  const targets = environments.filter((e) => e.id !== env.id);
  const [target, setTarget] = useState<number | "">(targets[0]?.id ?? "");
  const [search, setSearch] = useState("");
  const [found, setFound] = useState<Flag[]>([]);
  const [chosen, setChosen] = useState<Flag[]>([]);
  const [changes, setChanges] = useState<Change[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const q = useDebounced(search.trim(), 200);
  useEffect(() => {
    get<FlagPage>(`/environments/${env.id}/flags?limit=20${q ? `&search=${encodeURIComponent(q)}` : ""}`).then((p) => setFound(p.flags), () => {});
  }, [q, env.id]);
  useEffect(() => setChanges(null), [target, chosen]);
  const targetEnv = targets.find((e) => e.id === target);
  const projectOf = (pid?: number) => projects.find((p) => p.id === pid)?.name ?? "";
  const pick = (f: Flag, on: boolean) => setChosen((c) => (on ? [...c, f] : c.filter((x) => x.key !== f.key)));
  const previewCopy = async () => {
    setError(null);
    const current = new Map<string, Record<string, unknown>>();
    for (const f of chosen) {
      try {
        current.set(f.key!, (await get<Flag>(`/environments/${target}/flags/${encodeURIComponent(f.key!)}`)) as unknown as Record<string, unknown>);
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 404)) return setError(describe(e));
      }
    }
    setChanges(compareFlags(chosen as unknown as Record<string, unknown>[], current));
  };
  const copy = async () => {
    if (!targetEnv) return;
    if (targetEnv.protected) {
      const ok = await confirm({
        title: `Copy into ${targetEnv.label || "protected"} environment ${targetEnv.name}?`,
        body: (
          <p>
            You are about to copy <strong>{chosen.map((f) => f.key).join(", ")}</strong> into the environment <strong>{envTitle(targetEnv)}</strong>, which is marked
            as protected.
          </p>
        ),
        confirmLabel: `Yes, copy into ${targetEnv.name}`,
        danger: true,
      });
      if (!ok) return;
    }
    try {
      const { data } = await call<ImportResult>("POST", `/environments/${env.id}/copy-flags`, { body: { target_environment_id: target, keys: chosen.map((f) => f.key) } });
      setStatus(`Copied: ${data.flags_created} created, ${data.flags_updated} replaced in ${targetEnv.name}.`);
      setChanges(null);
    } catch (e) {
      setError(e instanceof ApiError && e.problems.length ? e.problems.map((p) => `${p.flag ? `${p.flag}: ` : ""}${p.path}: ${p.message}`).join("; ") : describe(e));
    }
  };
  return (
    <section className="card" aria-labelledby="copy-title">
      <h2 id="copy-title">Copy flags to another environment</h2>
      {targets.length === 0 ? (
        <p>There is no other environment to copy to.</p>
      ) : (
        <>
          <div className="row">
            <label>
              Target environment
              <select value={target} onChange={(e) => setTarget(Number(e.target.value))}>
                {targets.map((t) => (
                  <option key={t.id} value={t.id}>
                    {projectOf(t.project_id)} / {envTitle(t)}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Find flags
              <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
            </label>
          </div>
          <fieldset>
            <legend>Flags to copy</legend>
            {[...chosen, ...found.filter((f) => !chosen.some((c) => c.key === f.key))].map((f) => (
              <label key={f.key} className="check">
                <input type="checkbox" checked={chosen.some((c) => c.key === f.key)} onChange={(e) => pick(f, e.target.checked)} /> {f.key}
              </label>
            ))}
          </fieldset>
          <button type="button" onClick={previewCopy} disabled={chosen.length === 0 || target === ""}>
            Preview the copy
          </button>
          {changes && (
            <>
              <ChangeList changes={changes} testId="copy-preview" />
              <button type="button" className="primary" onClick={copy}>
                Copy {chosen.length} flags into {targetEnv?.name}
              </button>
            </>
          )}
        </>
      )}
      <ErrorNote error={error} />
      <Status text={status} />
    </section>
  );
}
