// The code to paste into each SDK, with this environment's evaluator URL and key filled in.

/** The evaluators' URL the writer was given (HALYARD_EVALUATOR_URL), from the page's meta tag. */
export function evaluatorURL(): string {
  const v = document.querySelector<HTMLMetaElement>('meta[name="halyard-evaluator-url"]')?.content?.trim();
  return v ? v.replace(/\/+$/, "") : "";
}

export interface Snippet {
  id: string;
  title: string;
  code: string;
}

export function snippets(url: string, sdkKey: string, serverKey: string): Snippet[] {
  return [
    {
      id: "posthog-js",
      title: "posthog-js (browser)",
      code: `import posthog from "posthog-js";

posthog.init("${sdkKey}", {
  api_host: "${url}",
  advanced_disable_decide: false,
  autocapture: false,
  capture_pageview: false,
});
posthog.onFeatureFlags(() => {
  if (posthog.isFeatureEnabled("my-flag")) { /* … */ }
});`,
    },
    {
      id: "posthog-node",
      title: "posthog-node (server, local evaluation)",
      code: `import { PostHog } from "posthog-node";

const client = new PostHog("${sdkKey}", {
  host: "${url}",
  personalApiKey: "${serverKey}",
  featureFlagsPollingInterval: 30000,
});
const enabled = await client.isFeatureEnabled("my-flag", "user-123");`,
    },
    {
      id: "posthog-go",
      title: "posthog-go (server, local evaluation)",
      code: `client, _ := posthog.NewWithConfig("${sdkKey}", posthog.Config{
	Endpoint:       "${url}",
	PersonalApiKey: "${serverKey}",
})
defer client.Close()
enabled, _ := client.IsFeatureEnabled(posthog.FeatureFlagPayload{Key: "my-flag", DistinctId: "user-123"})`,
    },
    {
      id: "ofrep",
      title: "OpenFeature (OFREP provider)",
      code: `import { OpenFeature } from "@openfeature/server-sdk";
import { OFREPProvider } from "@openfeature/ofrep-provider";

await OpenFeature.setProviderAndWait(new OFREPProvider({
  baseUrl: "${url}",
  headers: [["Authorization", "Bearer ${sdkKey}"]],
}));
const enabled = await OpenFeature.getClient().getBooleanValue("my-flag", false, { targetingKey: "user-123" });`,
    },
  ];
}
