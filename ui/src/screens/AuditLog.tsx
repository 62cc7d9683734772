import { useState } from "react";
import { AuditEntries } from "../components/AuditEntries";
import { useDebounced } from "../components/common";
import { useEnv } from "../lib/environment";

/** The environment's audit log, filtered by actor or resource. */
export function AuditLog() {
  const { env, version } = useEnv();
  const [actor, setActor] = useState("");
  const [resource, setResource] = useState("");
  const q = new URLSearchParams({ environment_id: String(env.id) });
  const a = useDebounced(actor.trim(), 300);
  const r = useDebounced(resource.trim(), 300);
  if (a) q.set("actor", a);
  if (r) q.set("resource", r);
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Actor (token name)
          <input value={actor} onChange={(e) => setActor(e.target.value)} />
        </label>
        <label>
          Resource (e.g. flag/new-checkout)
          <input value={resource} onChange={(e) => setResource(e.target.value)} />
        </label>
      </form>
      <AuditEntries query={q.toString()} version={version} />
    </section>
  );
}
