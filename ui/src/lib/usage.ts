// Where cohorts are used: every flag's conditions (read a page of 1,000 at a time) and every property
// cohort's filters, scanned for cohort references.
import { get } from "../api/client";
import type { Cohort, Condition, FlagPage } from "../api/types";

function cohortRefs(v: unknown, out: Set<number>) {
  if (Array.isArray(v)) v.forEach((x) => cohortRefs(x, out));
  else if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (o.type === "cohort" && (typeof o.value === "number" || typeof o.value === "string")) out.add(Number(o.value));
    Object.values(o).forEach((x) => cohortRefs(x, out));
  }
}

export async function cohortUsage(envId: number, cohorts: Cohort[]): Promise<Map<number, string[]>> {
  const used = new Map<number, string[]>();
  const add = (id: number, who: string) => used.set(id, [...(used.get(id) ?? []), who]);
  let cursor: string | null = null;
  do {
    const page: FlagPage = await get<FlagPage>(`/environments/${envId}/flags?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    for (const f of page.flags) {
      const ids = new Set<number>();
      const parts: Condition[][] = [f.filters?.groups ?? [], f.filters?.super_groups ?? [], f.filters?.holdout_groups ?? []];
      parts.forEach((p) => cohortRefs(p, ids));
      ids.forEach((id) => add(id, `flag ${f.key}`));
    }
    cursor = page.next_cursor;
  } while (cursor);
  for (const c of cohorts) {
    const ids = new Set<number>();
    cohortRefs(c.filters, ids);
    ids.forEach((id) => add(id, `cohort ${c.name}`));
  }
  return used;
}
