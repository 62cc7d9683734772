// Every operator the engine evaluates (shared/flag.Operators), with the input its value needs.

export type ValueInput = "list" | "text" | "number" | "range" | "semver" | "date" | "regex" | "none";

export const operators: { op: string; label: string; input: ValueInput }[] = [
  { op: "exact", label: "equals one of", input: "list" },
  { op: "is_not", label: "equals none of", input: "list" },
  { op: "icontains", label: "contains", input: "text" },
  { op: "not_icontains", label: "does not contain", input: "text" },
  { op: "icontains_multi", label: "contains any of", input: "list" },
  { op: "not_icontains_multi", label: "contains none of", input: "list" },
  { op: "starts_with", label: "starts with", input: "text" },
  { op: "not_starts_with", label: "does not start with", input: "text" },
  { op: "ends_with", label: "ends with", input: "text" },
  { op: "not_ends_with", label: "does not end with", input: "text" },
  { op: "regex", label: "matches regex", input: "regex" },
  { op: "not_regex", label: "does not match regex", input: "regex" },
  { op: "gt", label: "greater than", input: "number" },
  { op: "gte", label: "greater than or equal to", input: "number" },
  { op: "lt", label: "less than", input: "number" },
  { op: "lte", label: "less than or equal to", input: "number" },
  { op: "between", label: "between", input: "range" },
  { op: "not_between", label: "not between", input: "range" },
  { op: "is_set", label: "is set", input: "none" },
  { op: "is_not_set", label: "is not set", input: "none" },
  { op: "is_date_before", label: "date before", input: "date" },
  { op: "is_date_after", label: "date after", input: "date" },
  { op: "is_date_exact", label: "date is", input: "date" },
  { op: "semver_eq", label: "version =", input: "semver" },
  { op: "semver_neq", label: "version ≠", input: "semver" },
  { op: "semver_gt", label: "version >", input: "semver" },
  { op: "semver_gte", label: "version ≥", input: "semver" },
  { op: "semver_lt", label: "version <", input: "semver" },
  { op: "semver_lte", label: "version ≤", input: "semver" },
  { op: "semver_tilde", label: "version ~ (patch updates)", input: "semver" },
  { op: "semver_caret", label: "version ^ (minor updates)", input: "semver" },
  { op: "semver_wildcard", label: "version matches wildcard", input: "semver" },
];

export const inputOf = (op: string): ValueInput => operators.find((o) => o.op === op)?.input ?? "text";

/** The value an operator starts with when chosen, converted from the previous one where it makes sense. */
export function defaultValue(op: string, old: unknown): unknown {
  const input = inputOf(op);
  const first = Array.isArray(old) ? old[0] : old;
  switch (input) {
    case "none":
      return null;
    case "list":
      return Array.isArray(old) ? old : old === null || old === undefined || old === "" ? [] : [old];
    case "number":
      return typeof first === "number" ? first : "";
    case "range":
      return Array.isArray(old) && old.length === 2 ? old : ["", ""];
    default:
      return typeof first === "string" || typeof first === "number" ? String(first) : "";
  }
}
