import { AuditEntries } from "../components/AuditEntries";
import { useEnv } from "../lib/environment";
import { Link } from "../lib/router";

/** Every change to one flag: who, when, what, with a before/after diff. */
export function FlagHistory({ flagKey }: { flagKey: string }) {
  const { env, version } = useEnv();
  return (
    <section aria-labelledby="history-title">
      <div className="title-row">
        <h1 id="history-title">
          History of <code>{flagKey}</code>
        </h1>
        <Link to={`/e/${env.id}/flags/${encodeURIComponent(flagKey)}`}>Back to the flag</Link>
      </div>
      <AuditEntries query={`environment_id=${env.id}&flag=${encodeURIComponent(flagKey)}`} version={version} />
    </section>
  );
}
