// The flag list: search, filters (active, tag, deleted), sort, cursor paging and a toggle on every row.
// It asks for one page at a time, so a 10,000-flag environment opens as fast as a small one.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { ApiError, call, describe, get } from "../api/client";
import type { Flag, FlagPage } from "../api/types";
import { ErrorNote, Status, useDebounced, when } from "../components/common";
import { useEnv } from "../lib/environment";
import { Link } from "../lib/router";
import { useSession } from "../lib/session";

const PAGE = 50;
type Sort = "key" | "-key" | "name" | "-updated";

function query(search: string, active: string, tag: string, deleted: boolean, limit: number, cursor?: string) {
  const q = new URLSearchParams({ limit: String(limit) });
  if (search) q.set("search", search);
  if (active) q.set("active", active);
  if (tag) q.set("tag", tag);
  if (deleted) q.set("deleted", "true");
  if (cursor) q.set("cursor", cursor);
  return q.toString();
}

export function FlagList() {
  const { env, version, guard } = useEnv();
  const { scopes } = useSession();
  const [search, setSearch] = useState("");
  const [active, setActive] = useState("");
  const [tag, setTag] = useState("");
  const [deleted, setDeleted] = useState(false);
  const [sort, setSort] = useState<Sort>("key");
  const [rows, setRows] = useState<Flag[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const q = useDebounced(search.trim(), 150);
  const t = useDebounced(tag.trim(), 300);
  const loaded = useRef(PAGE);
  const base = `/environments/${env.id}/flags`;

  const load = useCallback(
    async (limit: number, signal?: AbortSignal) => {
      try {
        const page = await get<FlagPage>(`${base}?${query(q, active, t, deleted, limit)}`, signal);
        setRows(page.flags);
        setCursor(page.next_cursor);
        setError(null);
      } catch (e) {
        if ((e as Error).name !== "AbortError") setError(describe(e));
      }
    },
    [base, q, active, t, deleted],
  );

  // A new filter starts from the first page; a new version (live) reloads as many rows as are shown.
  useEffect(() => {
    loaded.current = PAGE;
    const ctl = new AbortController();
    void load(PAGE, ctl.signal);
    return () => ctl.abort();
  }, [load]);
  useEffect(() => {
    if (rows) void load(Math.min(Math.max(loaded.current, PAGE), 1000));
  }, [version]); // eslint-disable-line react-hooks/exhaustive-deps

  const more = async () => {
    if (!cursor) return;
    try {
      const page = await get<FlagPage>(`${base}?${query(q, active, t, deleted, PAGE, cursor)}`);
      setRows((r) => [...(r ?? []), ...page.flags]);
      loaded.current += page.flags.length;
      setCursor(page.next_cursor);
      setStatus(`${loaded.current} flags shown`);
    } catch (e) {
      setError(describe(e));
    }
  };

  const toggle = async (f: Flag) => {
    const action = f.active ? "turn off" : "turn on";
    if (!(await guard(action, `flag "${f.key}"`))) return;
    try {
      const { data } = await call<Flag>("POST", `${base}/${encodeURIComponent(f.key!)}/toggle`, {
        body: { active: !f.active },
        ifMatch: `"${f.version}"`,
      });
      setRows((r) => r?.map((x) => (x.key === f.key ? data : x)) ?? null);
      setStatus(`${f.key} is now ${data.active ? "on" : "off"}`);
    } catch (e) {
      if (e instanceof ApiError && e.status === 412) {
        setError(`${f.key} was changed by someone else meanwhile; the list now shows its current state.`);
        void load(Math.max(loaded.current, PAGE));
      } else setError(describe(e));
    }
  };

  const restore = async (f: Flag) => {
    if (!(await guard("restore", `flag "${f.key}"`))) return;
    try {
      await call("POST", `${base}/${encodeURIComponent(f.key!)}/restore`);
      setStatus(`${f.key} restored`);
      void load(Math.max(loaded.current, PAGE));
    } catch (e) {
      setError(describe(e));
    }
  };

  const sorted = useMemo(() => sortFlags(rows ?? [], sort), [rows, sort]);
  return (
    <section aria-labelledby="flags-title">
      <div className="title-row">
        <h1 id="flags-title">Flags</h1>
        {scopes.write && (
          <Link to={`/e/${env.id}/new-flag`} className="button primary">
            New flag
          </Link>
        )}
      </div>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Search
          <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="key or name" />
        </label>
        <label>
          State
          <select value={active} onChange={(e) => setActive(e.target.value)}>
            <option value="">All</option>
            <option value="true">On</option>
            <option value="false">Off</option>
          </select>
        </label>
        <label>
          Tag
          <input value={tag} onChange={(e) => setTag(e.target.value)} />
        </label>
        <label className="check">
          <input type="checkbox" checked={deleted} onChange={(e) => setDeleted(e.target.checked)} /> Deleted flags
        </label>
        <label>
          Sort shown flags
          <select value={sort} onChange={(e) => setSort(e.target.value as Sort)}>
            <option value="key">Key, A to Z</option>
            <option value="-key">Key, Z to A</option>
            <option value="name">Name</option>
            <option value="-updated">Recently updated</option>
          </select>
        </label>
      </form>
      <ErrorNote error={error} />
      <Status text={status} />
      {rows === null ? (
        <p className="loading">Loading flags…</p>
      ) : rows.length === 0 ? (
        <p>No flags match.</p>
      ) : (
        <table className="list" data-testid="flag-table">
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Name</th>
              <th scope="col">Tags</th>
              <th scope="col">{deleted ? "Deleted" : "Enabled"}</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {sorted.map((f) => (
              <tr key={`${f.id}`}>
                <td>
                  {deleted ? <code>{f.key}</code> : <Link to={`/e/${env.id}/flags/${encodeURIComponent(f.key!)}`}>{f.key}</Link>}
                </td>
                <td>{f.name}</td>
                <td>
                  {f.tags?.map((tg) => (
                    <span key={tg} className="tag">
                      {tg}
                    </span>
                  ))}
                </td>
                <td>
                  {deleted ? (
                    scopes.write && (
                      <button type="button" className="small" onClick={() => restore(f)}>
                        Restore {f.key}
                      </button>
                    )
                  ) : (
                    <button
                      type="button"
                      role="switch"
                      aria-checked={f.active}
                      aria-label={`${f.key} enabled`}
                      className="switch"
                      disabled={!scopes.write}
                      onClick={() => toggle(f)}
                    >
                      <span aria-hidden="true">{f.active ? "On" : "Off"}</span>
                    </button>
                  )}
                </td>
                <td>
                  {when(f.updated_at)} {f.updated_by && <span className="muted">by {f.updated_by}</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {cursor && (
        <button type="button" onClick={more}>
          Load {PAGE} more
        </button>
      )}
    </section>
  );
}

function sortFlags(rows: Flag[], sort: Sort): Flag[] {
  const out = [...rows];
  const by = (f: (x: Flag) => string) => out.sort((a, b) => f(a).localeCompare(f(b)));
  switch (sort) {
    case "-key":
      return by((x) => x.key ?? "").reverse();
    case "name":
      return by((x) => (x.name || x.key) ?? "");
    case "-updated":
      return by((x) => x.updated_at ?? "").reverse();
  }
  return out;
}
