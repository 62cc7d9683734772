// Package metrics holds the evaluator's Prometheus metrics outside the HTTP API (whose own are in
// httpapi): the snapshots the follower applies and rejects, what the store serves, the snapshot directory,
// the NATS connection and readiness. Everything registers on the process's registry, never the global one.
// The full list, with what each metric means, is docs/observability.md.
package metrics
