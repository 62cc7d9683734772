// What an import or a copy will change, worked out before anything is sent: each flag created, replaced
// (with its diff) or left as it is.
import { stableJSON } from "./diff";

export interface Change {
  key: string;
  kind: "create" | "update" | "same";
  before?: unknown;
  after: unknown;
}

const comparable = (f: Record<string, unknown>) => ({
  name: f.name ?? "",
  description: f.description ?? "",
  tags: f.tags ?? [],
  active: f.active ?? true,
  filters: f.filters ?? {},
  ensure_experience_continuity: f.ensure_experience_continuity ?? false,
});

export function compareFlags(incoming: Record<string, unknown>[], current: Map<string, Record<string, unknown>>): Change[] {
  return incoming.map((f) => {
    const key = String(f.key);
    const after = comparable(f);
    const old = current.get(key);
    if (!old) return { key, kind: "create", after };
    const before = comparable(old);
    return { key, kind: stableJSON(before) === stableJSON(after) ? "same" : "update", before, after };
  });
}

/** The flags and cohort names of a Halyard export or a PostHog local-evaluation payload. */
export function readDocument(doc: unknown): { flags: Record<string, unknown>[]; cohorts: string[]; kind: string } {
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) throw new Error("The file is not a JSON object.");
  const d = doc as Record<string, unknown>;
  const flags = Array.isArray(d.flags) ? (d.flags as Record<string, unknown>[]) : [];
  if (d.format === "halyard-export/v1") {
    const cohorts = Array.isArray(d.cohorts) ? (d.cohorts as { name: string }[]).map((c) => c.name) : [];
    return { flags, cohorts, kind: "Halyard export" };
  }
  if ("flags" in d || "group_type_mapping" in d || "cohorts" in d) {
    const cohorts = d.cohorts && typeof d.cohorts === "object" ? Object.keys(d.cohorts).map((id) => `posthog-cohort-${id}`) : [];
    return { flags, cohorts, kind: "PostHog local-evaluation payload" };
  }
  throw new Error("Neither a Halyard export (format) nor a PostHog payload (flags, group_type_mapping, cohorts).");
}
