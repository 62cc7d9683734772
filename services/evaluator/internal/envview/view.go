// Package envview holds what the SDK-facing HTTP API derives from one environment version: the pre-encoded
// JSON fragments of its answers and the local-evaluation definitions body with its ETag. A View lives in the
// store's Env, so it is built once per version, lazily on first use (which keeps cold start and snapshot
// apply free of it), and dropped with the version. The types are declared here, below both the store and the
// HTTP API, so the store can hold them typed without importing the HTTP API; the HTTP API builds and reads
// them.
package envview

import "encoding/json"

// View is one environment version's derived data. The zero value is ready: every part is built on first use.
type View struct {
	Fragments   Lazy[Fragments]
	Definitions Lazy[Definitions]
}

// Fragments is the part of the answers that depends only on the environment version: each flag's key as a
// JSON string, its description, and each of its payloads in the forms the PostHog and OFREP answers carry
// them. Requests then only append what the evaluation decided.
type Fragments struct {
	Flags []Flag         // in the engine's key order, which is the order of EvaluateAll's results
	ByKey map[string]int // index into Flags
	// FlagSetID is OFREP metadata's `,"flagSetId":"<environment id>"`: OpenFeature's well-known key for the
	// flag set, which for Halyard is the environment.
	FlagSetID []byte
	// Scoped is true when some flag is served only to some requests (an evaluation runtime other than all,
	// or evaluation contexts): only then do PostHog answers look at the request's scope.
	Scoped bool
}

// Flag is one flag's encoded fragments.
type Flag struct {
	Key          string
	ID, Version  int64  // the definition's, which the engine's results carry
	Quoted       []byte // the key as a JSON string
	V2Head       []byte // /flags v2: `"key":{"key":"key","enabled":`
	OFREPFlagID  []byte // OFREP metadata: `"flagId":id`
	OFREPTail    []byte // OFREP metadata: `,"version":"version"}}`
	Description  []byte // /flags v2 metadata.description: a JSON string, or null
	Multivariate bool
	Runtime      string   // the flag's evaluation_runtime
	Contexts     []string // the flag's evaluation_contexts
	None         Payload  // no payload
	Payloads     []Payload
}

// Payload is one stored payload as the answers write it.
type Payload struct {
	Raw     json.RawMessage // the engine's Result.Payload for it (recognized by identity)
	PostHog []byte          // the PostHog answers' form; nil when there is none
	OFREP   []byte          // OFREP metadata.payload: the payload's text as a JSON string; nil when ""
	Err     error           // the PostHog form could not be encoded (a payload that is not JSON)
	// V2Tail ends the flag's /flags v2 object after its reason: metadata with the flag's id, version,
	// description and this payload. nil when not precomputed.
	V2Tail []byte
}

// Definitions is the version's local-evaluation payload, encoded once: SDKs poll it every few seconds, so
// the answer is a byte copy, or a 304 when their ETag is current.
type Definitions struct {
	Body []byte
	ETag string
	Err  error // the payload could not be encoded; the same version always fails the same way
}
