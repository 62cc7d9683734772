// The environment being worked on: its details, its live version, and guard(), which asks before any
// change on a protected environment, naming what changes and where.
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from "react";
import { get } from "../api/client";
import type { EnvironmentDetail } from "../api/types";
import { useConfirm } from "./confirm";
import { useEnvironmentVersion } from "./live";

export interface EnvState {
  env: EnvironmentDetail;
  /** The environment's version, moved by the live stream: refetch when it changes. */
  version: number;
  reload: () => Promise<void>;
  /** Resolves true when the change may go ahead: at once, or after confirmation on a protected environment. */
  guard: (action: string, what: string) => Promise<boolean>;
}

export const EnvCtx = createContext<EnvState | null>(null);

export function useEnv(): EnvState {
  const s = useContext(EnvCtx);
  if (!s) throw new Error("useEnv outside EnvironmentProvider");
  return s;
}

export function envTitle(e: { name?: string; label?: string }) {
  return e.label ? `${e.name} (${e.label})` : e.name;
}

export function EnvironmentProvider({ id, children }: { id: number; children: ReactNode }) {
  const [env, setEnv] = useState<EnvironmentDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const live = useEnvironmentVersion(id);
  const confirm = useConfirm();
  const reload = useCallback(async () => {
    try {
      setEnv(await get<EnvironmentDetail>(`/environments/${id}`));
    } catch (e) {
      setError((e as Error).message);
    }
  }, [id]);
  useEffect(() => {
    setEnv(null);
    void reload();
  }, [reload]);
  useEffect(() => {
    if (live !== null && env && live > (env.version ?? 0)) void reload();
  }, [live]); // eslint-disable-line react-hooks/exhaustive-deps
  const guard = useCallback(
    async (action: string, what: string) => {
      if (!env?.protected) return true;
      return confirm({
        title: `Change ${env.label || "protected"} environment ${env.name}?`,
        body: (
          <p>
            You are about to {action} <strong>{what}</strong> in the environment <strong>{envTitle(env)}</strong>, which is
            marked as protected. SDKs using it see the change within seconds.
          </p>
        ),
        confirmLabel: `Yes, ${action} ${what} in ${env.name}`,
        danger: true,
      });
    },
    [env, confirm],
  );
  if (error) return <p role="alert" className="error">{error}</p>;
  if (!env) return <p className="loading">Loading environment…</p>;
  return <EnvCtx.Provider value={{ env, version: Math.max(live ?? 0, env.version ?? 0), reload, guard }}>{children}</EnvCtx.Provider>;
}
