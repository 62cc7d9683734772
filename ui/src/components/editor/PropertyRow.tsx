// One property filter of a release condition: a person or group property with any operator, a cohort, or a
// dependency on another flag.
import type { PropertyFilter, PropertyType } from "../../api/types";
import { defaultValue, operators } from "./operators";
import { FieldError, fieldProps, useProblems } from "./problems";
import { ValueField } from "./ValueField";
import type { EditorRefs } from "./refs";

export function PropertyRow({ p, path, n, refs, onChange, onRemove }: {
  p: PropertyFilter;
  path: string;
  n: number;
  refs: EditorRefs;
  onChange: (p: PropertyFilter) => void;
  onRemove: () => void;
}) {
  const label = `Filter ${n}`;
  const problems = useProblems();
  const field = (sub: string) => fieldProps(problems, `${path}.${sub}`);
  const keyField = field("key");
  const opField = field("operator");
  const setType = (type: PropertyType) => {
    if (type === "cohort") onChange({ key: "id", type, operator: "in", value: refs.cohorts[0]?.id ?? "" });
    else if (type === "flag") onChange({ key: "", type, operator: "flag_evaluates_to", value: true });
    else onChange({ key: "", type, operator: "exact", value: [], ...(type === "group" ? { group_type_index: Number(Object.keys(refs.groupTypes)[0] ?? 0) } : {}) });
  };
  return (
    <fieldset className="property" data-path={path}>
      <legend className="sr-only">{label}</legend>
      <select aria-label={`${label} kind`} value={p.type ?? "person"} onChange={(e) => setType(e.target.value as PropertyType)}>
        <option value="person">Person property</option>
        <option value="group">Group property</option>
        <option value="cohort">Cohort</option>
        <option value="flag">Another flag</option>
      </select>
      {p.type === "group" && (
        <select aria-label={`${label} group type`} value={p.group_type_index ?? ""} onChange={(e) => onChange({ ...p, group_type_index: Number(e.target.value) })}>
          {Object.entries(refs.groupTypes).map(([i, name]) => (
            <option key={i} value={i}>
              {name}
            </option>
          ))}
        </select>
      )}
      {p.type === "cohort" ? (
        <>
          <select {...opField} aria-label={`${label} membership`} value={p.operator} onChange={(e) => onChange({ ...p, operator: e.target.value })}>
            <option value="in">in cohort</option>
            <option value="not_in">not in cohort</option>
          </select>
          <select {...field("value")} aria-label={`${label} cohort`} value={String(p.value ?? "")} onChange={(e) => onChange({ ...p, value: Number(e.target.value) })}>
            {refs.cohorts.length === 0 && <option value="">no cohorts yet</option>}
            {refs.cohorts.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
          <FieldError path={`${path}.value`} />
        </>
      ) : p.type === "flag" ? (
        <FlagDependency p={p} path={path} label={label} refs={refs} onChange={onChange} />
      ) : (
        <>
          <input {...keyField} aria-label={`${label} property`} placeholder="property, e.g. email" value={p.key} onChange={(e) => onChange({ ...p, key: e.target.value })} />
          <FieldError path={`${path}.key`} />
          <select {...opField} aria-label={`${label} operator`} value={p.operator} onChange={(e) => onChange({ ...p, operator: e.target.value, value: defaultValue(e.target.value, p.value) })}>
            {operators.map((o) => (
              <option key={o.op} value={o.op}>
                {o.label}
              </option>
            ))}
          </select>
          <ValueField key={p.operator} op={p.operator} value={p.value} path={`${path}.value`} label={label} onChange={(value) => onChange({ ...p, value })} />
        </>
      )}
      <FieldError path={`${path}.operator`} />
      <FieldError path={`${path}.type`} />
      <FieldError path={`${path}.group_type_index`} />
      <button type="button" className="small" aria-label={`Remove ${label.toLowerCase()}`} onClick={onRemove}>
        Remove
      </button>
    </fieldset>
  );
}

/** A dependency names the flag by key here; the API stores the flag's id, as PostHog does. */
function FlagDependency({ p, path, label, refs, onChange }: { p: PropertyFilter; path: string; label: string; refs: EditorRefs; onChange: (p: PropertyFilter) => void }) {
  const problems = useProblems();
  const key = refs.flagKeyOf(p.key);
  const v = p.value === true ? "true" : p.value === false ? "false" : String(p.value ?? "");
  return (
    <>
      <input
        {...fieldProps(problems, `${path}.key`)}
        aria-label={`${label} flag key`}
        list="flag-keys"
        defaultValue={key}
        placeholder="flag key"
        onChange={async (e) => {
          const id = await refs.flagIdOf(e.target.value.trim());
          onChange({ ...p, key: id === null ? "" : String(id) });
        }}
      />
      <FieldError path={`${path}.key`} />
      <label className="inline-label">
        evaluates to
        <input
          {...fieldProps(problems, `${path}.value`)}
          aria-label={`${label} expected value (true, false or a variant key)`}
          list="flag-values"
          value={v}
          onChange={(e) => onChange({ ...p, value: e.target.value === "true" ? true : e.target.value === "false" ? false : e.target.value })}
        />
      </label>
      <FieldError path={`${path}.value`} />
    </>
  );
}
