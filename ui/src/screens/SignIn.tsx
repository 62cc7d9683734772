import { useState, type FormEvent } from "react";
import { describe } from "../api/client";
import { setToken } from "../lib/auth";
import { loadEnvironments } from "../lib/session";

/** Sign-in with an admin token, checked against the API before it is kept (in sessionStorage only). */
export function SignIn({ reason }: { reason: string | null }) {
  const [token, setTok] = useState("");
  const [error, setError] = useState<string | null>(reason);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    sessionStorage.setItem("halyard.token", token.trim());
    try {
      await loadEnvironments();
      setToken(token.trim());
    } catch (err) {
      sessionStorage.removeItem("halyard.token");
      setError(describe(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="signin" id="main">
      <h1>
        <span className="logo" aria-hidden="true">⚑</span> Halyard
      </h1>
      <form onSubmit={submit} aria-describedby="signin-help">
        <label htmlFor="token">Admin token</label>
        <input
          id="token"
          type="password"
          autoComplete="off"
          value={token}
          onChange={(e) => setTok(e.target.value)}
          required
          autoFocus
        />
        <p id="signin-help" className="help">
          The writer's bootstrap token or one made with <code>POST /api/v1/tokens</code>. It is kept in this tab only.
        </p>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy || !token.trim()}>
          Sign in
        </button>
      </form>
    </main>
  );
}
