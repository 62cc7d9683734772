import { useMemo } from "react";
import { diffLines } from "../lib/diff";

/** Before and after as one unified diff; unchanged runs longer than six lines fold to their edges. */
export function Diff({ before, after, label }: { before: unknown; after: unknown; label: string }) {
  const lines = useMemo(() => diffLines(before, after), [before, after]);
  const changed = lines.some((l) => l.kind !== "same");
  const shown = useMemo(() => fold(lines), [lines]);
  return (
    <figure className="diff">
      <figcaption>
        {label}
        {!changed && " (no difference)"}
      </figcaption>
      <pre tabIndex={0} aria-label={label}>
        {shown.map((l, i) =>
          l.kind === "add" ? (
            <ins key={i}>+ {l.text}{"\n"}</ins>
          ) : l.kind === "del" ? (
            <del key={i}>- {l.text}{"\n"}</del>
          ) : (
            <span key={i} className={l.text === "…" ? "fold" : undefined}>
              {"  "}
              {l.text}
              {"\n"}
            </span>
          ),
        )}
      </pre>
    </figure>
  );
}

function fold(lines: ReturnType<typeof diffLines>) {
  if (lines.length < 40) return lines;
  const keep = lines.map((l, i) => l.kind !== "same" || lines.slice(Math.max(0, i - 3), i + 4).some((x) => x.kind !== "same"));
  const out: typeof lines = [];
  lines.forEach((l, i) => {
    if (keep[i]) out.push(l);
    else if (keep[i - 1] !== false) out.push({ kind: "same", text: "…" });
  });
  return out;
}
