// Variants with weights, their sum checked as you type, and payloads as JSON (validated as you type).
import { useState } from "react";
import type { Filters, Variant } from "../../api/types";
import { FieldError, fieldProps, useProblems } from "./problems";

export const variantSum = (vs: Variant[]) => Math.round(vs.reduce((s, v) => s + (Number(v.rollout_percentage) || 0), 0) * 1e6) / 1e6;

export function Variants({ filters, onChange }: { filters: Filters; onChange: (f: Filters) => void }) {
  const problems = useProblems();
  const vs = filters.multivariate?.variants ?? [];
  const on = !!filters.multivariate;
  const sum = variantSum(vs);
  const setVariants = (next: Variant[], renamed?: [string, string]) => {
    let payloads = filters.payloads;
    if (renamed && payloads && renamed[0] in payloads) {
      payloads = { ...payloads, [renamed[1]]: payloads[renamed[0]] };
      delete payloads[renamed[0]];
    }
    onChange({ ...filters, multivariate: { variants: next }, payloads });
  };
  const even = () => {
    const n = vs.length;
    const base = Math.floor((100 / n) * 100) / 100;
    setVariants(vs.map((v, i) => ({ ...v, rollout_percentage: i === n - 1 ? Math.round((100 - base * (n - 1)) * 100) / 100 : base })));
  };
  return (
    <section className="card" aria-labelledby="variants-title">
      <h2 id="variants-title">Variants</h2>
      <label className="check">
        <input
          type="checkbox"
          checked={on}
          onChange={(e) =>
            onChange(
              e.target.checked
                ? { ...filters, multivariate: { variants: [{ key: "control", rollout_percentage: 50 }, { key: "test", rollout_percentage: 50 }] }, payloads: {} }
                : { ...filters, multivariate: null, payloads: {}, groups: filters.groups.map((g) => ({ ...g, variant: null })) },
            )
          }
        />{" "}
        Multivariate (the flag answers a variant key instead of true)
      </label>
      {on && (
        <>
          <table className="variants">
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">Name</th>
                <th scope="col">Weight (%)</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {vs.map((v, i) => {
                const path = `filters.multivariate.variants[${i}]`;
                const set = (nv: Variant, renamed?: [string, string]) => setVariants(vs.map((x, j) => (j === i ? nv : x)), renamed);
                return (
                  <tr key={i}>
                    <td>
                      <input {...fieldProps(problems, `${path}.key`)} aria-label={`Variant ${i + 1} key`} value={v.key} onChange={(e) => set({ ...v, key: e.target.value }, [v.key, e.target.value])} />
                      <FieldError path={`${path}.key`} />
                    </td>
                    <td>
                      <input aria-label={`Variant ${i + 1} name`} value={v.name ?? ""} onChange={(e) => set({ ...v, name: e.target.value })} />
                    </td>
                    <td>
                      <input
                        {...fieldProps(problems, `${path}.rollout_percentage`)}
                        aria-label={`Variant ${i + 1} weight`}
                        type="number"
                        min={0}
                        max={100}
                        step="any"
                        value={Number.isNaN(v.rollout_percentage) ? "" : v.rollout_percentage}
                        onChange={(e) => set({ ...v, rollout_percentage: e.target.value === "" ? NaN : Number(e.target.value) })}
                      />
                      <FieldError path={`${path}.rollout_percentage`} />
                    </td>
                    <td>
                      <button type="button" className="small" aria-label={`Remove variant ${i + 1}`} onClick={() => setVariants(vs.filter((_, j) => j !== i))}>
                        Remove
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <p className={sum === 100 ? "sum ok" : "sum bad"} role="status" data-testid="variant-sum" data-path="filters.multivariate.variants">
            {sum === 100 ? `Weights sum to 100%.` : `Weights sum to ${sum}%: they must sum to 100%.`}
          </p>
          <FieldError path="filters.multivariate.variants" />
          <div className="row">
            <button type="button" className="small" onClick={() => setVariants([...vs, { key: `variant-${vs.length + 1}`, rollout_percentage: 0 }])}>
              Add variant
            </button>
            <button type="button" className="small" onClick={even} disabled={vs.length === 0}>
              Distribute evenly
            </button>
          </div>
        </>
      )}
    </section>
  );
}

/** Payloads per variant (or for true): JSON text, parsed as you type; invalid text blocks saving. */
export function Payloads({ filters, onChange, onValidity }: { filters: Filters; onChange: (f: Filters) => void; onValidity: (bad: string[]) => void }) {
  const problems = useProblems();
  const keys = filters.multivariate ? filters.multivariate.variants.map((v) => v.key) : ["true"];
  const [texts, setTexts] = useState<Record<string, string>>(() =>
    Object.fromEntries(Object.entries(filters.payloads ?? {}).map(([k, v]) => [k, JSON.stringify(v, null, 2)])),
  );
  const [bad, setBad] = useState<Record<string, string>>({});
  const edit = (k: string, text: string) => {
    setTexts((t) => ({ ...t, [k]: text }));
    const payloads = { ...(filters.payloads ?? {}) };
    const nextBad = { ...bad };
    delete nextBad[k];
    if (text.trim() === "") delete payloads[k];
    else {
      try {
        payloads[k] = JSON.parse(text);
      } catch (e) {
        nextBad[k] = `Not valid JSON: ${(e as Error).message}`;
      }
    }
    setBad(nextBad);
    onValidity(Object.keys(nextBad));
    onChange({ ...filters, payloads });
  };
  return (
    <section className="card" aria-labelledby="payloads-title">
      <h2 id="payloads-title">Payloads</h2>
      <p className="help">Any JSON value, returned with the flag to SDKs that ask for payloads. Leave empty for none.</p>
      {keys.map((k) => {
        const path = `filters.payloads.${k}`;
        const id = `payload-${k.replace(/[^a-zA-Z0-9_-]/g, "-")}`;
        return (
          <div key={k} className="payload">
            <label htmlFor={id}>{k === "true" ? "Payload when the flag is on" : `Payload for ${k}`}</label>
            <textarea
              id={id}
              {...fieldProps(problems, path)}
              aria-invalid={bad[k] || problems.has(path) ? true : undefined}
              aria-describedby={bad[k] || problems.has(path) ? `err-${path.replace(/[^a-zA-Z0-9_-]+/g, "-")}` : undefined}
              className="mono"
              rows={3}
              value={texts[k] ?? ""}
              onChange={(e) => edit(k, e.target.value)}
            />
            <FieldError path={path} local={bad[k]} />
          </div>
        );
      })}
    </section>
  );
}
