// Release conditions: each a set of property filters (all must match), a rollout percentage and an optional
// variant override. Conditions are evaluated in order; the first that matches decides.
import type { Condition, Filters } from "../../api/types";
import { FieldError, fieldProps, useProblems } from "./problems";
import { PropertyRow } from "./PropertyRow";
import type { EditorRefs } from "./refs";

export function Conditions({ filters, refs, onChange }: { filters: Filters; refs: EditorRefs; onChange: (f: Filters) => void }) {
  const problems = useProblems();
  const groups = filters.groups ?? [];
  const set = (i: number, c: Condition) => onChange({ ...filters, groups: groups.map((g, j) => (j === i ? c : g)) });
  const variants = filters.multivariate?.variants ?? [];
  const groupTypes = Object.entries(refs.groupTypes);
  return (
    <section className="card" aria-labelledby="conditions-title">
      <h2 id="conditions-title">Release conditions</h2>
      <label>
        Match by
        <select
          {...fieldProps(problems, "filters.aggregation_group_type_index")}
          value={filters.aggregation_group_type_index ?? ""}
          onChange={(e) => onChange({ ...filters, aggregation_group_type_index: e.target.value === "" ? null : Number(e.target.value) })}
        >
          <option value="">Persons (distinct id)</option>
          {groupTypes.map(([i, name]) => (
            <option key={i} value={i}>
              Groups: {name}
            </option>
          ))}
        </select>
      </label>
      <FieldError path="filters.aggregation_group_type_index" />
      {groups.length === 0 && <p className="muted">No condition: the flag is off for everyone.</p>}
      {groups.map((c, i) => {
        const path = `filters.groups[${i}]`;
        return (
          <fieldset key={i} className="condition" data-path={path}>
            <legend>Condition {i + 1}</legend>
            {c.properties.length === 0 && <p className="muted">Matches everyone.</p>}
            {c.properties.map((p, j) => (
              <PropertyRow
                key={`${j}-${p.type}`}
                p={p}
                n={j + 1}
                path={`${path}.properties[${j}]`}
                refs={refs}
                onChange={(np) => set(i, { ...c, properties: c.properties.map((x, k) => (k === j ? np : x)) })}
                onRemove={() => set(i, { ...c, properties: c.properties.filter((_, k) => k !== j) })}
              />
            ))}
            <button type="button" className="small" onClick={() => set(i, { ...c, properties: [...c.properties, { key: "", type: "person", operator: "exact", value: [] }] })}>
              Add filter to condition {i + 1}
            </button>
            <div className="row">
              <label>
                Rollout percentage
                <input
                  {...fieldProps(problems, `${path}.rollout_percentage`)}
                  type="number"
                  min={0}
                  max={100}
                  step="any"
                  value={c.rollout_percentage ?? ""}
                  placeholder="100"
                  onChange={(e) => set(i, { ...c, rollout_percentage: e.target.value === "" ? null : Number(e.target.value) })}
                />
              </label>
              <FieldError path={`${path}.rollout_percentage`} />
              {variants.length > 0 && (
                <label>
                  Variant override
                  <select {...fieldProps(problems, `${path}.variant`)} value={c.variant ?? ""} onChange={(e) => set(i, { ...c, variant: e.target.value || null })}>
                    <option value="">By weight</option>
                    {variants.map((v) => (
                      <option key={v.key} value={v.key}>
                        {v.key}
                      </option>
                    ))}
                  </select>
                </label>
              )}
              <FieldError path={`${path}.variant`} />
              <button type="button" className="small" onClick={() => onChange({ ...filters, groups: groups.filter((_, k) => k !== i) })}>
                Remove condition {i + 1}
              </button>
            </div>
          </fieldset>
        );
      })}
      <button type="button" onClick={() => onChange({ ...filters, groups: [...groups, { properties: [], rollout_percentage: 100 }] })}>
        Add condition
      </button>
      <datalist id="flag-keys">
        {refs.flagKeys.map((k) => (
          <option key={k} value={k} />
        ))}
      </datalist>
      <datalist id="flag-values">
        <option value="true" />
        <option value="false" />
      </datalist>
    </section>
  );
}
