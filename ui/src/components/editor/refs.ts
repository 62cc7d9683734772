// What a flag's conditions can refer to in its environment: group types, cohorts and other flags.
import { useEffect, useMemo, useState } from "react";
import { get } from "../../api/client";
import type { Cohort, Flag, FlagPage, GroupTypes } from "../../api/types";

export interface EditorRefs {
  groupTypes: GroupTypes;
  cohorts: Cohort[];
  flagKeys: string[];
  flagKeyOf: (id: string) => string;
  flagIdOf: (key: string) => Promise<number | null>;
}

export function useEditorRefs(envId: number, groupTypes: GroupTypes | undefined): EditorRefs {
  const [cohorts, setCohorts] = useState<Cohort[]>([]);
  const [flags, setFlags] = useState<Flag[]>([]);
  useEffect(() => {
    get<{ cohorts: Cohort[] }>(`/environments/${envId}/cohorts`).then((r) => setCohorts(r.cohorts), () => {});
    get<FlagPage>(`/environments/${envId}/flags?limit=1000`).then((r) => setFlags(r.flags), () => {});
  }, [envId]);
  return useMemo(() => {
    const byId = new Map(flags.map((f) => [String(f.id), f.key!]));
    const byKey = new Map(flags.map((f) => [f.key!, f.id!]));
    return {
      groupTypes: groupTypes ?? {},
      cohorts,
      flagKeys: flags.map((f) => f.key!),
      flagKeyOf: (id: string) => byId.get(id) ?? (id ? `#${id}` : ""),
      flagIdOf: async (key: string) => {
        if (!key) return null;
        if (byKey.has(key)) return byKey.get(key)!;
        try {
          const f = await get<Flag>(`/environments/${envId}/flags/${encodeURIComponent(key)}`);
          return f.id ?? null;
        } catch {
          return null;
        }
      },
    };
  }, [flags, cohorts, groupTypes, envId]);
}
