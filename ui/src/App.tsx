// The application: sign-in until a token is given, then the shell (environment switcher, navigation) and
// the screen the path names.
import { useEffect, useState, type ReactNode } from "react";
import { describe } from "./api/client";
import { onTokenChange, getToken } from "./lib/auth";
import { ConfirmProvider } from "./lib/confirm";
import { EnvironmentProvider } from "./lib/environment";
import { match, navigate, useLocation } from "./lib/router";
import { SessionProvider, useSession } from "./lib/session";
import { Shell } from "./components/Shell";
import { SignIn } from "./screens/SignIn";
import { FlagList } from "./screens/FlagList";
import { FlagEditor } from "./screens/FlagEditor";
import { FlagHistory } from "./screens/FlagHistory";
import { AuditLog } from "./screens/AuditLog";
import { Evaluate } from "./screens/Evaluate";
import { Cohorts } from "./screens/Cohorts";
import { Settings } from "./screens/Settings";
import { Bulk } from "./screens/Bulk";
import { Projects } from "./screens/Projects";

export function App() {
  const [token, setTok] = useState(getToken());
  const [reason, setReason] = useState<string | null>(null);
  useEffect(
    () =>
      onTokenChange((why) => {
        setTok(getToken());
        setReason(why);
      }),
    [],
  );
  if (!token) return <SignIn reason={reason} />;
  return (
    <ConfirmProvider>
      <SessionProvider key={token} fallback={(e) => <SignIn reason={describe(e)} />}>
        <Routes />
      </SessionProvider>
    </ConfirmProvider>
  );
}

const envScreens: [string, (p: Record<string, string>) => ReactNode][] = [
  ["/e/:env/flags", () => <FlagList />],
  ["/e/:env/new-flag", () => <FlagEditor flagKey={null} />],
  ["/e/:env/flags/:key", (p) => <FlagEditor key={p.key} flagKey={p.key} />],
  ["/e/:env/flags/:key/history", (p) => <FlagHistory flagKey={p.key} />],
  ["/e/:env/cohorts", () => <Cohorts />],
  ["/e/:env/evaluate", () => <Evaluate />],
  ["/e/:env/audit", () => <AuditLog />],
  ["/e/:env/settings", () => <Settings />],
  ["/e/:env/bulk", () => <Bulk />],
];

function Routes() {
  const { path } = useLocation();
  const { environments } = useSession();
  useEffect(() => {
    if (path === "/" && environments.length > 0) navigate(`/e/${environments[0].id}/flags`, true);
  }, [path, environments]);
  if (path === "/projects" || (path === "/" && environments.length === 0)) {
    return (
      <Shell env={null}>
        <Projects />
      </Shell>
    );
  }
  for (const [pattern, render] of envScreens) {
    const p = match(pattern, path);
    if (p) {
      const id = Number(p.env);
      return (
        <EnvironmentProvider key={id} id={id}>
          <Shell env={id}>{render(p)}</Shell>
        </EnvironmentProvider>
      );
    }
  }
  return (
    <Shell env={null}>
      <h1>Not found</h1>
      <p>No screen lives at {path}.</p>
    </Shell>
  );
}
