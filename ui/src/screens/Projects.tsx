// Projects and their environments; an admin creates them here.
import { useState, type FormEvent } from "react";
import { call, describe } from "../api/client";
import type { Environment } from "../api/types";
import { ErrorNote } from "../components/common";
import { Link } from "../lib/router";
import { useSession } from "../lib/session";

export function Projects() {
  const { projects, environments, scopes, reload } = useSession();
  const [name, setName] = useState("");
  const [envNames, setEnvNames] = useState<Record<number, string>>({});
  const [created, setCreated] = useState<Environment | null>(null);
  const [error, setError] = useState<string | null>(null);
  const createProject = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await call("POST", "/projects", { body: { name } });
      setName("");
      await reload();
    } catch (err) {
      setError(describe(err));
    }
  };
  const createEnv = async (e: FormEvent, pid: number) => {
    e.preventDefault();
    try {
      const { data } = await call<Environment>("POST", `/projects/${pid}/environments`, { body: { name: envNames[pid] ?? "" } });
      setCreated(data);
      setEnvNames({ ...envNames, [pid]: "" });
      await reload();
    } catch (err) {
      setError(describe(err));
    }
  };
  return (
    <section aria-labelledby="projects-title">
      <h1 id="projects-title">Projects</h1>
      <ErrorNote error={error} />
      {created && (
        <div className="banner ok" role="status">
          <p>
            Environment {created.name} created. SDK key <code>{created.sdk_key}</code>, server key <code>{created.server_key}</code> (copy it now: it is not
            shown again).
          </p>
        </div>
      )}
      {projects.length === 0 && <p>No project yet.</p>}
      {projects.map((p) => (
        <section key={p.id} className="card" aria-labelledby={`project-${p.id}`}>
          <h2 id={`project-${p.id}`}>{p.name}</h2>
          <ul>
            {environments
              .filter((e) => e.project_id === p.id)
              .map((e) => (
                <li key={e.id}>
                  <Link to={`/e/${e.id}/flags`}>{e.name}</Link> {e.label && <span className="tag">{e.label}</span>}
                </li>
              ))}
          </ul>
          {scopes.admin && (
            <form className="row" onSubmit={(e) => createEnv(e, p.id!)}>
              <label>
                New environment in {p.name}
                <input value={envNames[p.id!] ?? ""} onChange={(e) => setEnvNames({ ...envNames, [p.id!]: e.target.value })} required />
              </label>
              <button type="submit">Create environment</button>
            </form>
          )}
        </section>
      ))}
      {scopes.admin && (
        <form className="card row" onSubmit={createProject}>
          <label>
            New project
            <input value={name} onChange={(e) => setName(e.target.value)} required />
          </label>
          <button type="submit">Create project</button>
        </form>
      )}
    </section>
  );
}
