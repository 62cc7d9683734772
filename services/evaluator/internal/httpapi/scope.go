package httpapi

import (
	"net/http"
	"slices"
	"strings"

	"github.com/halyard-flags/halyard/shared/eval"
	"github.com/halyard-flags/halyard/shared/flag"
)

// Evaluation scope: which flags a PostHog /flags or /decide request is served, decided exactly as PostHog's
// flag service decides it. A flag with an evaluation runtime other than "all" is served only to requests from
// that runtime; a flag with evaluation contexts is served only to requests that name one of them, when they
// name any. The rules are PostHog/posthog rust/feature-flags:
//   - src/handler/flags.rs, detect_evaluation_runtime_from_request: the request's evaluation_runtime if it
//     sent one, else the User-Agent (src/utils/user_agent.rs, UserAgentInfo::parse), else client when it
//     carries Origin, Referer, Sec-Fetch-Mode or Sec-Fetch-Site, else unknown;
//   - src/handler/flags.rs, collect_excluded_by_runtime: "all" serves every flag; a known runtime leaves out
//     flags for the other one; an unknown runtime leaves out every client-only and server-only flag;
//   - src/handler/flags.rs, collect_excluded_by_tags: with contexts named, a flag with contexts is served
//     only if one of them is named;
//   - src/flags/flag_request.rs, FlagRequest: evaluation_contexts (alias evaluation_environments) and
//     evaluation_runtime, read case-insensitively, anything but client or server meaning all.
//
// Environments without scoped flags skip all of it (envview.Fragments.Scoped).

// runtime is where a request evaluates.
type runtime uint8

const (
	runtimeUnknown runtime = iota // PostHog's None: neither said nor inferred
	runtimeAll
	runtimeClient
	runtimeServer
)

// runtimeOf reads a runtime as PostHog's EvaluationRuntime does: client or server in any case, else all.
func runtimeOf(s string) runtime {
	switch {
	case strings.EqualFold(s, flag.RuntimeClient):
		return runtimeClient
	case strings.EqualFold(s, flag.RuntimeServer):
		return runtimeServer
	}
	return runtimeAll
}

// requestRuntime is the runtime of a request: explicit when it named one, else inferred from its headers.
func requestRuntime(explicit *string, h http.Header) runtime {
	if explicit != nil {
		return runtimeOf(*explicit)
	}
	if rt := userAgentRuntime(h.Get("User-Agent")); rt != runtimeUnknown {
		return rt
	}
	for _, name := range [...]string{"Origin", "Referer", "Sec-Fetch-Mode", "Sec-Fetch-Site"} {
		if _, ok := h[name]; ok {
			return runtimeClient
		}
	}
	return runtimeUnknown
}

// userAgentRuntime is UserAgentInfo::parse's runtime: PostHog SDKs by name, then browsers, then common
// server-side HTTP clients.
func userAgentRuntime(ua string) runtime {
	if ua == "" {
		return runtimeUnknown
	}
	if rest, ok := strings.CutPrefix(ua, "posthog-"); ok {
		return posthogSDKRuntime(rest)
	}
	for _, b := range [...]string{"Mozilla/", "Chrome/", "Safari/", "Firefox/", "Edge/"} {
		if strings.Contains(ua, b) {
			return runtimeClient
		}
	}
	if strings.Contains(ua, "python-requests/") || strings.Contains(ua, "curl/") {
		return runtimeServer
	}
	return runtimeUnknown
}

// posthogSDKRuntime: "<sdk>/<version> [anything]" after "posthog-"; an unknown SDK, or one without a name or
// a version, is unknown.
func posthogSDKRuntime(rest string) runtime {
	name, version, ok := strings.Cut(rest, "/")
	if fields := strings.Fields(version); len(fields) > 0 {
		version = fields[0]
	}
	if !ok || name == "" || version == "" {
		return runtimeUnknown
	}
	switch name {
	case "python", "ruby", "php", "java", "go", "node", "dotnet", "elixir", "rs", "server":
		return runtimeServer
	case "js", "android", "ios", "react-native", "flutter":
		return runtimeClient
	}
	return runtimeUnknown
}

// servedIn: collect_excluded_by_runtime, negated.
func servedIn(flagRuntime string, rt runtime) bool {
	if rt == runtimeAll || flagRuntime == "" {
		return true
	}
	fr := runtimeOf(flagRuntime)
	return fr == runtimeAll || (rt != runtimeUnknown && fr == rt)
}

// servedFor: collect_excluded_by_tags, negated.
func servedFor(flagContexts, requested []string) bool {
	if len(requested) == 0 || len(flagContexts) == 0 {
		return true
	}
	for _, c := range flagContexts {
		if slices.Contains(requested, c) {
			return true
		}
	}
	return false
}

// scoped: the flag is not served to every request.
func scoped(f *flagJSON) bool {
	return len(f.Contexts) > 0 || (f.Runtime != "" && runtimeOf(f.Runtime) != runtimeAll)
}

// inScope leaves out of results the flags a request from runtime rt naming contexts is not served.
func inScope(ej *envJSON, results []eval.Result, rt runtime, contexts []string) []eval.Result {
	kept, hint := results[:0], 0
	for i := range results {
		f := flagOf(ej, &results[i], &hint)
		if servedIn(f.Runtime, rt) && servedFor(f.Contexts, contexts) {
			kept = append(kept, results[i])
		}
	}
	return kept
}
