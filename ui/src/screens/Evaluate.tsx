import { EvaluateForm } from "../components/EvaluateForm";
import { useEnv } from "../lib/environment";

/** What the engine answers for a user, for one flag or all, with the reason. */
export function Evaluate() {
  const { env } = useEnv();
  return (
    <section aria-labelledby="evaluate-title">
      <h1 id="evaluate-title">Evaluate</h1>
      <p className="help">
        The writer evaluates the environment's saved definitions with the same engine the evaluators run. To try an unsaved change, use
        “Try this draft” in the flag's editor.
      </p>
      <EvaluateForm envId={env.id!} idPrefix="eval" />
    </section>
  );
}
