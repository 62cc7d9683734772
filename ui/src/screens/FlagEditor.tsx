// The flag editor. Saves send If-Match with the version the editor started from: a concurrent save makes
// the writer answer 412, and the editor then shows the other version beside this one instead of
// overwriting it. Live changes load by themselves only while nothing is being edited.
import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import { ApiError, call, describe } from "../api/client";
import type { Flag, FlagDocument } from "../api/types";
import { ErrorNote, Status, when } from "../components/common";
import { Diff } from "../components/Diff";
import { EvaluateForm } from "../components/EvaluateForm";
import { Conditions } from "../components/editor/Conditions";
import { FieldError, fieldProps, groupProblems, ProblemsCtx, type Problems } from "../components/editor/problems";
import { useEditorRefs } from "../components/editor/refs";
import { Payloads, variantSum, Variants } from "../components/editor/Variants";
import { stableJSON } from "../lib/diff";
import { useEnv } from "../lib/environment";
import { Link, navigate } from "../lib/router";
import { useSession } from "../lib/session";

const blank: FlagDocument = {
  key: "",
  name: "",
  description: "",
  tags: [],
  active: true,
  ensure_experience_continuity: false,
  filters: { groups: [{ properties: [], rollout_percentage: 100 }] },
};

export function toDocument(f: Flag): FlagDocument {
  return {
    key: f.key,
    name: f.name ?? "",
    description: f.description ?? "",
    tags: f.tags ?? [],
    active: f.active,
    ensure_experience_continuity: f.ensure_experience_continuity ?? false,
    ...(f.bucketing_identifier ? { bucketing_identifier: f.bucketing_identifier } : {}),
    filters: { ...f.filters, groups: f.filters?.groups ?? [] },
  };
}

/** The message a new flag's editor hands to the editor of the saved flag, which replaces it. */
let handover: string | null = null;

export function FlagEditor({ flagKey }: { flagKey: string | null }) {
  const { env, version, guard } = useEnv();
  const { scopes } = useSession();
  const refs = useEditorRefs(env.id!, env.group_types);
  const [saved, setSaved] = useState<Flag | null>(null);
  const [doc, setDoc] = useState<FlagDocument | null>(flagKey ? null : blank);
  const [problems, setProblems] = useState<Problems>(new Map());
  const [badPayloads, setBadPayloads] = useState<string[]>([]);
  const [conflict, setConflict] = useState<Flag | null>(null);
  const [remote, setRemote] = useState<Flag | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(() => {
    const h = handover;
    handover = null;
    return h;
  });
  const [busy, setBusy] = useState(false);
  const [tagText, setTagText] = useState("");
  const base = `/environments/${env.id}/flags`;
  const dirty = useMemo(() => !!doc && !!saved && stableJSON(doc) !== stableJSON(toDocument(saved)), [doc, saved]);
  const dirtyRef = useRef(dirty);
  dirtyRef.current = dirty || (!flagKey && doc !== blank);

  const adopt = useCallback((f: Flag) => {
    setSaved(f);
    setDoc(toDocument(f));
    setTagText((f.tags ?? []).join(", "));
    setRemote(null);
    setConflict(null);
  }, []);

  const fetchFlag = useCallback(async () => (await call<Flag>("GET", `${base}/${encodeURIComponent(flagKey!)}`)).data, [base, flagKey]);

  useEffect(() => {
    if (flagKey) fetchFlag().then(adopt, (e) => setError(describe(e)));
  }, [flagKey, fetchFlag, adopt]);

  // Live: another admin's change loads at once unless this editor holds unsaved edits; then it is announced.
  useEffect(() => {
    if (!flagKey || !saved) return;
    fetchFlag().then(
      (f) => {
        if ((f.version ?? 0) <= (saved.version ?? 0)) return;
        if (dirtyRef.current) setRemote(f);
        else {
          adopt(f);
          setStatus(`Updated to version ${f.version}, saved by ${f.updated_by}.`);
        }
      },
      () => {},
    );
  }, [version]); // eslint-disable-line react-hooks/exhaustive-deps

  if (!doc) return error ? <ErrorNote error={error} /> : <p className="loading">Loading flag…</p>;
  const set = (patch: Partial<FlagDocument>) => setDoc({ ...doc, ...patch });
  const mv = doc.filters.multivariate?.variants;
  const sumBad = !!mv && mv.length > 0 && variantSum(mv) !== 100;
  const blocked = badPayloads.length > 0 || sumBad;

  const save = async (e?: FormEvent, overwrite?: Flag) => {
    e?.preventDefault();
    if (blocked || busy) return;
    const key = flagKey ?? doc.key!;
    if (!(await guard(flagKey ? "save changes to" : "create", `flag "${key}"`))) return;
    setBusy(true);
    setError(null);
    setStatus(null);
    try {
      const against = overwrite ?? saved;
      const { data } = flagKey
        ? await call<Flag>("PUT", `${base}/${encodeURIComponent(key)}`, { body: doc, ifMatch: `"${against!.version}"` })
        : await call<Flag>("POST", base, { body: doc });
      setProblems(new Map());
      adopt(data);
      setStatus(`Saved: version ${data.version}.`);
      if (!flagKey) {
        handover = `Saved: version ${data.version}.`;
        navigate(`/e/${env.id}/flags/${encodeURIComponent(data.key!)}`, true);
      }
    } catch (err) {
      if (err instanceof ApiError && err.status === 412) {
        setConflict(await fetchFlag());
      } else if (err instanceof ApiError && err.problems.length) {
        setProblems(groupProblems(err.problems));
        setError(`Not saved: ${err.problems.length === 1 ? "one problem" : `${err.problems.length} problems`} (shown next to ${err.problems.length === 1 ? "its field" : "their fields"}).`);
      } else setError(describe(err));
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    if (!saved || !(await guard("delete", `flag "${saved.key}"`))) return;
    try {
      await call("DELETE", `${base}/${encodeURIComponent(saved.key!)}`, { ifMatch: `"${saved.version}"` });
      navigate(`/e/${env.id}/flags`);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 412 ? "Someone changed this flag meanwhile: reload it before deleting." : describe(err));
    }
  };

  const unknownPaths = [...problems.entries()].filter(([p]) => !document.querySelector(`[data-path="${CSS.escape(p)}"]`));
  return (
    <ProblemsCtx.Provider value={problems}>
      <form className="editor" onSubmit={save} aria-labelledby="editor-title" noValidate>
        <div className="title-row">
          <h1 id="editor-title">{flagKey ? <>Flag <code>{flagKey}</code></> : "New flag"}</h1>
          {saved && (
            <span className="muted">
              version {saved.version} · saved {when(saved.updated_at)} by {saved.updated_by}
            </span>
          )}
          {flagKey && <Link to={`/e/${env.id}/flags/${encodeURIComponent(flagKey)}/history`}>History</Link>}
        </div>
        {conflict && (
          <ConflictPanel
            mine={doc}
            theirs={conflict}
            onTakeTheirs={() => adopt(conflict)}
            onKeepMine={() => {
              const theirs = conflict;
              setConflict(null);
              void save(undefined, theirs);
            }}
          />
        )}
        {remote && !conflict && (
          <div className="banner warn" role="alert">
            <p>
              {remote.updated_by} saved version {remote.version} of this flag while you were editing. Your edits are kept; saving them
              will show both versions first.
            </p>
            <button type="button" onClick={() => adopt(remote)}>
              Discard my edits and load version {remote.version}
            </button>
          </div>
        )}
        <ErrorNote error={error} />
        {unknownPaths.length > 0 && (
          <ul className="error" data-testid="other-problems">
            {unknownPaths.map(([p, m]) => (
              <li key={p}>
                {p}: {m.join("; ")}
              </li>
            ))}
          </ul>
        )}
        <Status text={status} />
        <section className="card" aria-labelledby="basics-title">
          <h2 id="basics-title">Basics</h2>
          <div className="grid2">
            <label htmlFor="flag-key">Key</label>
            <span>
              <input id="flag-key" {...fieldProps(problems, "key")} value={doc.key} readOnly={!!flagKey} required pattern="[A-Za-z0-9_-]+" onChange={(e) => set({ key: e.target.value })} />
              <FieldError path="key" />
            </span>
            <label htmlFor="flag-name">Name</label>
            <span>
              <input id="flag-name" {...fieldProps(problems, "name")} value={doc.name ?? ""} onChange={(e) => set({ name: e.target.value })} />
              <FieldError path="name" />
            </span>
            <label htmlFor="flag-description">Description</label>
            <span>
              <textarea id="flag-description" {...fieldProps(problems, "description")} rows={3} value={doc.description ?? ""} onChange={(e) => set({ description: e.target.value })} />
              <FieldError path="description" />
            </span>
            <label htmlFor="flag-tags">Tags (comma-separated)</label>
            <span>
              <input
                id="flag-tags"
                {...fieldProps(problems, "tags")}
                value={tagText}
                onChange={(e) => {
                  setTagText(e.target.value);
                  set({ tags: e.target.value.split(",").map((t) => t.trim()).filter(Boolean) });
                }}
              />
              <FieldError path="tags" />
            </span>
            <span className="label">Enabled</span>
            <label className="check">
              <input type="checkbox" checked={doc.active} onChange={(e) => set({ active: e.target.checked })} /> The flag is on (its conditions apply)
            </label>
          </div>
        </section>
        <Conditions filters={doc.filters} refs={refs} onChange={(filters) => set({ filters })} />
        <Variants filters={doc.filters} onChange={(filters) => set({ filters })} />
        <Payloads key={`${saved?.version ?? 0}-${doc.filters.multivariate ? "mv" : "bool"}`} filters={doc.filters} onChange={(filters) => set({ filters })} onValidity={setBadPayloads} />
        <Holdout doc={doc} set={set} />
        <section className="card" aria-labelledby="continuity-title">
          <h2 id="continuity-title">Experience continuity</h2>
          <label className="check">
            <input type="checkbox" checked={!!doc.ensure_experience_continuity} onChange={(e) => set({ ensure_experience_continuity: e.target.checked })} /> Keep a user's
            variant when they log in (bucket on <code>$anon_distinct_id</code> when the SDK sends it)
          </label>
          <label>
            Bucket by
            <select value={doc.bucketing_identifier ?? "distinct_id"} onChange={(e) => set({ bucketing_identifier: e.target.value as "distinct_id" | "device_id" })}>
              <option value="distinct_id">distinct id</option>
              <option value="device_id">device id</option>
            </select>
          </label>
        </section>
        {scopes.write && (
          <div className="actions sticky">
            <button type="submit" className="primary" disabled={busy || blocked}>
              {flagKey ? "Save" : "Create flag"}
            </button>
            {blocked && <span className="error">Fix the variant weights and payloads first.</span>}
            {flagKey && (
              <button type="button" className="danger" onClick={remove}>
                Delete flag
              </button>
            )}
          </div>
        )}
      </form>
      <section className="card" aria-labelledby="try-title">
        <h2 id="try-title">Try this draft</h2>
        <p className="help">Evaluates the flag as it stands in this editor, unsaved changes included, against the environment's other flags and cohorts.</p>
        <EvaluateForm envId={env.id!} idPrefix="draft" draft={() => ({ ...doc, key: flagKey ?? doc.key })} onProblems={(p) => setProblems(groupProblems(p))} />
      </section>
    </ProblemsCtx.Provider>
  );
}

function Holdout({ doc, set }: { doc: FlagDocument; set: (p: Partial<FlagDocument>) => void }) {
  const h = doc.filters.holdout;
  const setH = (holdout: typeof h) => set({ filters: { ...doc.filters, holdout } });
  return (
    <section className="card" aria-labelledby="holdout-title">
      <h2 id="holdout-title">Holdout</h2>
      <label className="check">
        <input type="checkbox" checked={!!h} onChange={(e) => setH(e.target.checked ? { id: 1, exclusion_percentage: 10 } : null)} /> Keep a share of users out of
        this flag (they get <code>holdout-&lt;id&gt;</code>)
      </label>
      {h && (
        <div className="row">
          <label>
            Holdout id
            <input type="number" min={1} value={h.id} onChange={(e) => setH({ ...h, id: Number(e.target.value) })} />
          </label>
          <label>
            Excluded percentage
            <input type="number" min={0} max={100} step="any" value={h.exclusion_percentage} onChange={(e) => setH({ ...h, exclusion_percentage: Number(e.target.value) })} />
          </label>
          <FieldError path="filters.holdout.exclusion_percentage" />
        </div>
      )}
    </section>
  );
}

function ConflictPanel({ mine, theirs, onTakeTheirs, onKeepMine }: { mine: FlagDocument; theirs: Flag; onTakeTheirs: () => void; onKeepMine: () => void }) {
  return (
    <div className="banner conflict" role="alert" data-testid="conflict">
      <h2>Not saved: this flag changed while you were editing</h2>
      <p>
        {theirs.updated_by} saved version {theirs.version} at {when(theirs.updated_at)}. Nothing was overwritten. Compare, then choose.
      </p>
      <Diff before={toDocument(theirs)} after={mine} label={`Their version ${theirs.version} (−) against your edits (+)`} />
      <div className="actions">
        <button type="button" onClick={onTakeTheirs}>
          Discard my edits, load version {theirs.version}
        </button>
        <button type="button" className="danger" onClick={onKeepMine}>
          Save my version over version {theirs.version}
        </button>
      </div>
    </div>
  );
}
