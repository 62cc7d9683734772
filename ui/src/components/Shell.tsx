// The frame of every screen: the project and environment switcher (the environment's colour and label
// across the top bar, so a protected one cannot be mistaken), the navigation, and the main region.
import { useContext, type ReactNode } from "react";
import { clearToken } from "../lib/auth";
import { textOn } from "../lib/color";
import { EnvCtx } from "../lib/environment";
import { Link, navigate, useLocation } from "../lib/router";
import { useSession } from "../lib/session";

export function Shell({ env: envId, children }: { env: number | null; children: ReactNode }) {
  const { projects, environments, scopes } = useSession();
  const envState = useContext(EnvCtx);
  const env = envState?.env ?? environments.find((e) => e.id === envId) ?? null;
  const { path } = useLocation();
  const project = env ? projects.find((p) => p.id === env.project_id) : null;
  const bar = env?.color ? { background: env.color, color: textOn(env.color) } : undefined;
  const section = path.split("/")[3] ?? "";
  const switchEnv = (id: string) => navigate(`/e/${id}/${section === "new-flag" ? "flags" : section || "flags"}`);
  const switchProject = (id: string) => {
    const first = environments.find((e) => e.project_id === Number(id));
    if (first) navigate(`/e/${first.id}/flags`);
  };
  const nav: [string, string][] = [
    ["flags", "Flags"],
    ["cohorts", "Cohorts"],
    ["evaluate", "Evaluate"],
    ["audit", "Audit log"],
    ["bulk", "Import & export"],
    ["settings", "Settings"],
  ];
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className={`topbar${env?.protected ? " protected" : ""}`} style={bar}>
        <Link to="/" className="brand">
          <span aria-hidden="true">⚑</span> Halyard
        </Link>
        {env && (
          <div className="switcher">
            <label>
              Project
              <select value={project?.id ?? ""} onChange={(e) => switchProject(e.target.value)}>
                {projects.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Environment
              <select value={env.id} onChange={(e) => switchEnv(e.target.value)} data-testid="env-switcher">
                {environments
                  .filter((e) => e.project_id === env.project_id)
                  .map((e) => (
                    <option key={e.id} value={e.id}>
                      {e.name}
                      {e.label ? ` (${e.label})` : ""}
                    </option>
                  ))}
              </select>
            </label>
            {(env.label || env.protected) && (
              <span className="env-label" data-testid="env-label">
                {env.label || "Protected"}
                {env.protected && env.label ? " · protected" : ""}
              </span>
            )}
          </div>
        )}
        <div className="spacer" />
        {scopes.admin && <Link to="/projects">Projects</Link>}
        <span className="scope">{scopes.admin ? "admin" : scopes.write ? "write" : "read-only"}</span>
        <button type="button" onClick={() => clearToken()}>
          Sign out
        </button>
      </header>
      {env && (
        <nav aria-label="Environment">
          <ul>
            {nav.map(([id, label]) => (
              <li key={id}>
                <Link to={`/e/${env.id}/${id}`} aria-current={section === id ? "page" : undefined}>
                  {label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
      )}
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
