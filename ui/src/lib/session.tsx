// What the signed-in token may do, and the projects and environments it sees.
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from "react";
import { ApiError, call, get } from "../api/client";
import type { Environment, Project } from "../api/types";

export interface Scopes {
  write: boolean;
  admin: boolean;
}

export interface Session {
  scopes: Scopes;
  projects: Project[];
  environments: Environment[];
  reload: () => Promise<void>;
}

const Ctx = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(Ctx);
  if (!s) throw new Error("useSession outside SessionProvider");
  return s;
}

/**
 * The token's scopes, found without changing anything: GET /tokens needs admin, and a toggle in environment
 * 0 (which cannot exist) is refused with 403 before its handler runs unless the token may write (then the
 * handler refuses the id with 400).
 */
export async function probeScopes(): Promise<Scopes> {
  const denied = async (p: Promise<unknown>) => {
    try {
      await p;
      return false;
    } catch (e) {
      return e instanceof ApiError && e.status === 403;
    }
  };
  const [noAdmin, noWrite] = await Promise.all([
    denied(call("GET", "/tokens")),
    denied(call("POST", "/environments/0/flags/scope-probe/toggle", { ifMatch: '"0"' })),
  ]);
  return { admin: !noAdmin, write: !noWrite };
}

export async function loadEnvironments(): Promise<{ projects: Project[]; environments: Environment[] }> {
  const { projects } = await get<{ projects: Project[] }>("/projects");
  const lists = await Promise.all(
    projects.map((p) => get<{ environments: Environment[] }>(`/projects/${p.id}/environments`)),
  );
  return { projects, environments: lists.flatMap((l) => l.environments) };
}

export function SessionProvider({ children, fallback }: { children: ReactNode; fallback: (e: unknown) => ReactNode }) {
  const [state, setState] = useState<Omit<Session, "reload"> | null>(null);
  const [error, setError] = useState<unknown>(null);
  const reload = useCallback(async () => {
    try {
      const [scopes, envs] = await Promise.all([probeScopes(), loadEnvironments()]);
      setState({ scopes, ...envs });
    } catch (e) {
      setError(e);
    }
  }, []);
  useEffect(() => void reload(), [reload]);
  if (error) return <>{fallback(error)}</>;
  if (!state) return <p className="loading">Loading…</p>;
  return <Ctx.Provider value={{ ...state, reload }}>{children}</Ctx.Provider>;
}
