import type { Change } from "../lib/preview";
import { Diff } from "./Diff";

/** A preview of changes: counts, then every flag that would be created or replaced, with its diff. */
export function ChangeList({ changes, testId }: { changes: Change[]; testId: string }) {
  const count = (k: Change["kind"]) => changes.filter((c) => c.kind === k).length;
  return (
    <div data-testid={testId} className="preview">
      <p role="status">
        {count("create")} to create, {count("update")} to replace, {count("same")} unchanged.
      </p>
      <ul>
        {changes.map((c) => (
          <li key={c.key} data-change={c.kind} data-flag={c.key}>
            {c.kind === "update" ? (
              <details>
                <summary>
                  replace <code>{c.key}</code>
                </summary>
                <Diff before={c.before} after={c.after} label={`${c.key}: now (−) and after (+)`} />
              </details>
            ) : (
              <>
                {c.kind === "create" ? "create" : "unchanged"} <code>{c.key}</code>
              </>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
