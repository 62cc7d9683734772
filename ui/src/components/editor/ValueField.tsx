// The value input an operator needs: a typed list, a number, a range, a date, a version, a pattern or text.
import { useState } from "react";
import { inputOf } from "./operators";
import { FieldError, fieldProps, useProblems } from "./problems";

type Kind = "text" | "number" | "boolean";

function kindOf(list: unknown[]): Kind {
  if (list.length && list.every((v) => typeof v === "number")) return "number";
  if (list.length && list.every((v) => typeof v === "boolean")) return "boolean";
  return "text";
}

function parseList(text: string, kind: Kind): unknown[] {
  const parts = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (kind === "number") return parts.map((s) => (Number.isFinite(Number(s)) ? Number(s) : s));
  if (kind === "boolean") return parts.map((s) => (s === "true" ? true : s === "false" ? false : s));
  return parts;
}

const num = (s: string): number | string => (s.trim() !== "" && Number.isFinite(Number(s)) ? Number(s) : s);

export function ValueField({ op, value, path, label, onChange }: { op: string; value: unknown; path: string; label: string; onChange: (v: unknown) => void }) {
  const field = fieldProps(useProblems(), path);
  const input = inputOf(op);
  const list = Array.isArray(value) ? value : value === null || value === undefined ? [] : [value];
  const [text, setText] = useState(list.map(String).join(", "));
  const [kind, setKind] = useState<Kind>(kindOf(list));
  let control;
  switch (input) {
    case "none":
      return null;
    case "list":
      control = (
        <span className="inline">
          <input
            {...field}
            aria-label={`${label} values, comma-separated`}
            value={text}
            placeholder="a, b, c"
            onChange={(e) => {
              setText(e.target.value);
              onChange(parseList(e.target.value, kind));
            }}
          />
          <select
            aria-label={`${label} value type`}
            value={kind}
            onChange={(e) => {
              const k = e.target.value as Kind;
              setKind(k);
              onChange(parseList(text, k));
            }}
          >
            <option value="text">as text</option>
            <option value="number">as numbers</option>
            <option value="boolean">as true/false</option>
          </select>
        </span>
      );
      break;
    case "number":
      control = (
        <input {...field} aria-label={`${label} number`} type="number" step="any" value={String(value ?? "")} onChange={(e) => onChange(num(e.target.value))} />
      );
      break;
    case "range": {
      const [lo, hi] = Array.isArray(value) ? value : ["", ""];
      control = (
        <span className="inline">
          <input {...field} aria-label={`${label} from`} type="number" step="any" value={String(lo ?? "")} onChange={(e) => onChange([num(e.target.value), hi])} />
          <span aria-hidden="true">and</span>
          <input aria-label={`${label} to`} type="number" step="any" value={String(hi ?? "")} onChange={(e) => onChange([lo, num(e.target.value)])} />
        </span>
      );
      break;
    }
    case "date":
      control = (
        <input {...field} aria-label={`${label} date (2024-06-01, RFC 3339, or relative like -7d)`} value={String(value ?? "")} placeholder="2024-06-01 or -7d" onChange={(e) => onChange(e.target.value)} />
      );
      break;
    case "semver":
      control = <input {...field} aria-label={`${label} version`} value={String(value ?? "")} placeholder="1.2.3" onChange={(e) => onChange(e.target.value)} />;
      break;
    case "regex":
      control = <input {...field} aria-label={`${label} regular expression (RE2)`} className="mono" value={String(value ?? "")} placeholder="^.*@example\.com$" onChange={(e) => onChange(e.target.value)} />;
      break;
    default:
      control = <input {...field} aria-label={`${label} text`} value={String(value ?? "")} onChange={(e) => onChange(e.target.value)} />;
  }
  return (
    <span className="value-field">
      {control}
      <FieldError path={path} />
    </span>
  );
}
