package flag

import "fmt"

// Evaluation runtimes, as PostHog stores them per flag (evaluation_runtime). A flag for one runtime is served
// only to requests from that runtime; "all" (or none) to every request.
const (
	RuntimeAll    = "all"
	RuntimeClient = "client"
	RuntimeServer = "server"
)

// Limits of a flag's evaluation contexts.
const (
	MaxEvaluationContexts     = 50
	MaxEvaluationContextBytes = 100
)

// evaluationScope checks evaluation_runtime and evaluation_contexts.
func (v *validator) evaluationScope(f *Flag) {
	switch f.EvaluationRuntime {
	case "", RuntimeAll, RuntimeClient, RuntimeServer:
	default:
		v.add("evaluation_runtime", "must be all, client or server, got %q", f.EvaluationRuntime)
	}
	if len(f.EvaluationContexts) > MaxEvaluationContexts {
		v.add("evaluation_contexts", "at most %d contexts", MaxEvaluationContexts)
	}
	seen := make(map[string]bool, len(f.EvaluationContexts))
	for i, c := range f.EvaluationContexts {
		switch {
		case c == "" || len(c) > MaxEvaluationContextBytes:
			v.add(fmt.Sprintf("evaluation_contexts[%d]", i), "a context is 1 to %d bytes", MaxEvaluationContextBytes)
		case seen[c]:
			v.add(fmt.Sprintf("evaluation_contexts[%d]", i), "%q is listed twice", c)
		}
		seen[c] = true
	}
}
