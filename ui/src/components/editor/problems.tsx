// A 422's problems by field path, and the message shown right under the field each path names.
import { createContext, useContext } from "react";
import type { Problem } from "../../api/types";

export type Problems = Map<string, string[]>;

export const ProblemsCtx = createContext<Problems>(new Map());

export function groupProblems(list: Problem[]): Problems {
  const m: Problems = new Map();
  for (const p of list) m.set(p.path, [...(m.get(p.path) ?? []), p.message]);
  return m;
}

export const errorId = (path: string) => `err-${path.replace(/[^a-zA-Z0-9_-]+/g, "-")}`;

export const useProblems = () => useContext(ProblemsCtx);

/** Props for an input whose value lives at path: marks it invalid and points at its message. */
export function fieldProps(problems: Problems, path: string) {
  const has = problems.has(path);
  return { "aria-invalid": has || undefined, "aria-describedby": has ? errorId(path) : undefined, "data-path": path };
}

export function FieldError({ path, local }: { path: string; local?: string | null }) {
  const problems = useContext(ProblemsCtx).get(path);
  const messages = [...(problems ?? []), ...(local ? [local] : [])];
  if (messages.length === 0) return null;
  return (
    <span className="field-error" id={errorId(path)} data-error-for={path}>
      {messages.join("; ")}
    </span>
  );
}
