// Environment settings: appearance (label, colour, protected), SDK and server keys (copy, rotate with a
// grace period, revoke), group types, and the SDK snippets with this environment's URL and key.
import { useEffect, useState, type FormEvent } from "react";
import { call, describe } from "../api/client";
import type { EnvironmentDetail, GroupTypes, Key } from "../api/types";
import { CopyButton, ErrorNote, Status, when } from "../components/common";
import { useEnv } from "../lib/environment";
import { useSession } from "../lib/session";
import { evaluatorURL, snippets } from "../lib/snippets";

export function Settings() {
  const { scopes } = useSession();
  return (
    <section aria-labelledby="settings-title">
      <h1 id="settings-title">Environment settings</h1>
      {scopes.admin && <Appearance />}
      <Keys />
      <GroupTypesForm />
      <Snippets />
    </section>
  );
}

function Appearance() {
  const { env, reload, guard } = useEnv();
  const { reload: reloadSession } = useSession();
  const [name, setName] = useState(env.name ?? "");
  const [label, setLabel] = useState(env.label ?? "");
  const [color, setColor] = useState(env.color || "#1f3a5f");
  const [useColor, setUseColor] = useState(!!env.color);
  const [prot, setProt] = useState(!!env.protected);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!(await guard("change the appearance of", `environment "${env.name}"`))) return;
    try {
      await call<EnvironmentDetail>("PATCH", `/environments/${env.id}`, { body: { name, label, color: useColor ? color : "", protected: prot } });
      await Promise.all([reload(), reloadSession()]);
      setStatus("Saved.");
      setError(null);
    } catch (err) {
      setError(describe(err));
    }
  };
  return (
    <form className="card" onSubmit={submit} aria-labelledby="appearance-title">
      <h2 id="appearance-title">Appearance</h2>
      <div className="grid2">
        <label htmlFor="env-name">Name</label>
        <input id="env-name" value={name} onChange={(e) => setName(e.target.value)} />
        <label htmlFor="env-label">Label (shown in the top bar, e.g. Production)</label>
        <input id="env-label" maxLength={40} value={label} onChange={(e) => setLabel(e.target.value)} />
        <label htmlFor="env-color-on">Colour the top bar</label>
        <span className="inline">
          <input id="env-color-on" type="checkbox" checked={useColor} onChange={(e) => setUseColor(e.target.checked)} />
          <input aria-label="Top bar colour" type="color" value={color} disabled={!useColor} onChange={(e) => setColor(e.target.value)} />
        </span>
        <label htmlFor="env-protected">Protected</label>
        <span>
          <input id="env-protected" type="checkbox" checked={prot} onChange={(e) => setProt(e.target.checked)} /> Ask for confirmation, naming the flag and
          environment, before every change here
        </span>
      </div>
      <ErrorNote error={error} />
      <Status text={status} />
      <button type="submit" className="primary">
        Save appearance
      </button>
    </form>
  );
}

function Keys() {
  const { env, reload, guard } = useEnv();
  const { scopes } = useSession();
  const [kind, setKind] = useState<"sdk" | "server">("sdk");
  const [grace, setGrace] = useState(3600);
  const [issued, setIssued] = useState<Key | null>(null);
  const [error, setError] = useState<string | null>(null);
  const rotate = async (e: FormEvent) => {
    e.preventDefault();
    if (!(await guard(`rotate the ${kind} key of`, `environment "${env.name}"`))) return;
    try {
      const { data } = await call<{ key: Key }>("POST", `/environments/${env.id}/keys/rotate`, { body: { kind, grace_seconds: grace } });
      setIssued(data.key);
      setError(null);
      await reload();
    } catch (err) {
      setError(describe(err));
    }
  };
  const revoke = async (k: Key) => {
    if (!(await guard(`revoke ${k.kind} key #${k.id} of`, `environment "${env.name}"`))) return;
    try {
      await call("DELETE", `/environments/${env.id}/keys/${k.id}`);
      await reload();
    } catch (err) {
      setError(describe(err));
    }
  };
  const keys = env.keys ?? [];
  return (
    <section className="card" aria-labelledby="keys-title">
      <h2 id="keys-title">Keys</h2>
      <table className="list" data-testid="keys">
        <thead>
          <tr>
            <th scope="col">Kind</th>
            <th scope="col">Key</th>
            <th scope="col">Created</th>
            <th scope="col">Expires</th>
            {scopes.admin && <th scope="col">Actions</th>}
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <tr key={k.id} data-key-id={k.id}>
              <td>{k.kind}</td>
              <td>
                {k.value ? (
                  <>
                    <code>{k.value}</code> <CopyButton text={k.value} label={`Copy ${k.kind} key ${k.id}`} />
                  </>
                ) : (
                  <span className="muted">#{k.id} (server keys are shown only when issued)</span>
                )}
              </td>
              <td>{when(k.created_at)}</td>
              <td>{k.expires_at ? when(k.expires_at) : "never"}</td>
              {scopes.admin && (
                <td>
                  <button type="button" className="small danger" onClick={() => revoke(k)}>
                    Revoke key {k.id}
                  </button>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {issued && (
        <div className="banner ok" role="status" data-testid="issued-key">
          <p>
            New {issued.kind} key: <code>{issued.value}</code> <CopyButton text={issued.value ?? ""} label="Copy the new key" />
          </p>
          {issued.kind === "server" && <p>Copy it now: server keys are not shown again.</p>}
        </div>
      )}
      {scopes.admin && (
        <form onSubmit={rotate} className="row">
          <label>
            Rotate
            <select value={kind} onChange={(e) => setKind(e.target.value as "sdk" | "server")}>
              <option value="sdk">SDK key</option>
              <option value="server">server key</option>
            </select>
          </label>
          <label>
            Old keys keep working for (seconds)
            <input type="number" min={0} max={7776000} value={grace} onChange={(e) => setGrace(Number(e.target.value))} />
          </label>
          <button type="submit">Rotate key</button>
        </form>
      )}
      <ErrorNote error={error} />
    </section>
  );
}

function GroupTypesForm() {
  const { env, reload, guard } = useEnv();
  const { scopes } = useSession();
  const [types, setTypes] = useState<string[]>(() => [0, 1, 2, 3, 4].map((i) => env.group_types?.[String(i)] ?? ""));
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  useEffect(() => setTypes([0, 1, 2, 3, 4].map((i) => env.group_types?.[String(i)] ?? "")), [env.group_types]);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!(await guard("change the group types of", `environment "${env.name}"`))) return;
    const body: GroupTypes = {};
    types.forEach((t, i) => t.trim() && (body[String(i)] = t.trim()));
    try {
      await call("PUT", `/environments/${env.id}/group-types`, { body });
      await reload();
      setStatus("Group types saved.");
      setError(null);
    } catch (err) {
      setError(describe(err));
    }
  };
  return (
    <form className="card" onSubmit={submit} aria-labelledby="gt-title">
      <h2 id="gt-title">Group types</h2>
      <p className="help">Groups (companies, teams…) that flags can aggregate by, as PostHog's group type indexes 0 to 4.</p>
      <div className="row">
        {types.map((t, i) => (
          <label key={i}>
            Index {i}
            <input value={t} disabled={!scopes.write} onChange={(e) => setTypes(types.map((x, j) => (j === i ? e.target.value : x)))} />
          </label>
        ))}
      </div>
      <ErrorNote error={error} />
      <Status text={status} />
      {scopes.write && <button type="submit">Save group types</button>}
    </form>
  );
}

function Snippets() {
  const { env } = useEnv();
  const url = evaluatorURL() || "https://EVALUATOR-URL";
  const sdkKey = env.keys?.find((k) => k.kind === "sdk" && !k.expires_at)?.value ?? env.keys?.find((k) => k.kind === "sdk")?.value ?? "phc_…";
  return (
    <section className="card" aria-labelledby="snippets-title">
      <h2 id="snippets-title">SDK snippets</h2>
      {!evaluatorURL() && (
        <p className="help">The writer was started without HALYARD_EVALUATOR_URL, so the evaluator address below is a placeholder.</p>
      )}
      {snippets(url, sdkKey, "phs_… (your server key)").map((s) => (
        <figure key={s.id} className="snippet" data-snippet={s.id}>
          <figcaption>
            {s.title} <CopyButton text={s.code} label={`Copy the ${s.title} snippet`} />
          </figcaption>
          <pre tabIndex={0}>
            <code>{s.code}</code>
          </pre>
        </figure>
      ))}
    </section>
  );
}
