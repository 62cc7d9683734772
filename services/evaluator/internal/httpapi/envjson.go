package httpapi

import (
	"encoding/json"

	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
	"github.com/halyard-flags/halyard/shared/eval"
)

// envJSON is the part of the answers that depends only on the environment version, encoded once per version
// (kept with the store.Env): each flag's key as a JSON string, its description, and each of its payloads in
// the forms the PostHog and OFREP answers carry them. Requests then only append what the evaluation decided.
type envJSON struct {
	flags []flagJSON     // in the engine's key order, which is the order of EvaluateAll's results
	byKey map[string]int // index into flags
}

type flagJSON struct {
	key          string
	id, version  int64  // the definition's, which the engine's results carry
	quoted       []byte // the key as a JSON string
	v2Head       []byte // /flags v2: `"key":{"key":"key","enabled":`
	ofrepFlagID  []byte // OFREP metadata: `"flagId":id`
	ofrepTail    []byte // OFREP metadata: `,"version":version}}`
	description  []byte // /flags v2 metadata.description: a JSON string, or null
	multivariate bool
	none         payloadJSONs // no payload
	payloads     []payloadJSONs
}

// payloadJSONs is one stored payload as the answers write it.
type payloadJSONs struct {
	raw     json.RawMessage // the engine's Result.Payload for it (recognized by identity)
	posthog []byte          // payloadJSON(raw) as encoding/json writes it; nil when there is none
	ofrep   []byte          // OFREP metadata.payload: payloadText(raw) as a JSON string; nil when ""
	err     error           // encoding/json refused posthog's form (a payload that is not JSON)
	// v2Tail ends the flag's /flags v2 object after its reason: metadata with the flag's id, version,
	// description and this payload. nil when not precomputed.
	v2Tail []byte
}

func envJSONOf(env *store.Env) *envJSON {
	return env.Derived(func(env *store.Env) any { return buildEnvJSON(env.Engine) }).(*envJSON)
}

func buildEnvJSON(e *eval.Engine) *envJSON {
	keys := e.Keys()
	ej := &envJSON{flags: make([]flagJSON, len(keys)), byKey: make(map[string]int, len(keys))}
	a := &arena{b: make([]byte, 0, arenaSize(e))}
	for i, k := range keys {
		ej.flags[i] = newFlagJSON(e, k, a)
		ej.byKey[k] = i
	}
	return ej
}

// arena holds an environment's fragments in one allocation (arenaSize's estimate; append grows it when
// short, and the fragments taken before stay valid).
type arena struct{ b []byte }

// since returns what was appended from start on, capped so nothing appended later can reach into it.
func (a *arena) since(start int) []byte { return a.b[start:len(a.b):len(a.b)] }

func arenaSize(e *eval.Engine) int {
	n := 0
	for _, k := range e.Keys() {
		n += 4*len(k) + 160
		if def, ok := e.Flag(k); ok {
			n += 2 * len(def.Description)
			for _, p := range def.Filters.Payloads {
				n += 2*len(p) + 100
			}
		}
	}
	return n
}

var nullJSON = []byte("null")

func newFlagJSON(e *eval.Engine, key string, a *arena) flagJSON {
	f := flagJSON{key: key, description: nullJSON}
	s := len(a.b)
	a.b = appendJSONString(a.b, key)
	f.quoted = a.since(s)
	s = len(a.b)
	a.b = append(append(append(append(a.b, f.quoted...), `:{"key":`...), f.quoted...), `,"enabled":`...)
	f.v2Head = a.since(s)
	def, ok := e.Flag(key)
	if !ok {
		return f
	}
	f.id, f.version = def.ID, def.Version
	s = len(a.b)
	a.b = appendInt(append(a.b, `"flagId":`...), f.id)
	f.ofrepFlagID = a.since(s)
	s = len(a.b)
	a.b = append(appendInt(append(a.b, `,"version":`...), f.version), "}}"...)
	f.ofrepTail = a.since(s)
	if def.Description != "" {
		s = len(a.b)
		a.b = appendJSONString(a.b, def.Description)
		f.description = a.since(s)
	}
	f.multivariate = def.Filters.Multivariate != nil && len(def.Filters.Multivariate.Variants) > 0
	s = len(a.b)
	a.b = appendV2Tail(a.b, f.id, f.version, f.description, nil)
	f.none.v2Tail = a.since(s)
	for _, raw := range def.Filters.Payloads {
		if len(raw) > 0 {
			p := newPayloadJSONs(raw)
			s = len(a.b)
			a.b = appendV2Tail(a.b, f.id, f.version, f.description, p.posthog)
			p.v2Tail = a.since(s)
			f.payloads = append(f.payloads, p)
		}
	}
	return f
}

// appendV2Tail appends `},"metadata":{"id":…,"version":…,"description":…,"payload":…}}`: the end of the
// reason object and the flag's metadata.
func appendV2Tail(dst []byte, id, version int64, description, payload []byte) []byte {
	dst = append(dst, `},"metadata":{"id":`...)
	dst = appendInt(dst, id)
	dst = append(dst, `,"version":`...)
	dst = appendInt(dst, version)
	dst = append(dst, `,"description":`...)
	dst = append(dst, description...)
	dst = append(dst, `,"payload":`...)
	if payload == nil {
		payload = nullJSON
	}
	dst = append(dst, payload...)
	return append(dst, "}}"...)
}

func newPayloadJSONs(raw json.RawMessage) payloadJSONs {
	p := payloadJSONs{raw: raw}
	if pj := payloadJSON(raw); pj != nil {
		// encoding/json validates and compacts (HTML-escaping) a RawMessage; do exactly that.
		p.posthog, p.err = json.Marshal(pj)
	}
	if t := payloadText(raw); t != "" {
		p.ofrep = appendJSONString(nil, t)
	}
	return p
}

// flag finds the encoded flag of a result. hint is where the previous result's flag was plus one: results
// of EvaluateAll come in the same order, so the map is only consulted after a skipped (inactive) flag.
func (ej *envJSON) flag(r *eval.Result, hint *int) *flagJSON {
	if i := *hint; i < len(ej.flags) && ej.flags[i].key == r.Key {
		*hint = i + 1
		return &ej.flags[i]
	}
	if i, ok := ej.byKey[r.Key]; ok {
		*hint = i + 1
		return &ej.flags[i]
	}
	f := flagJSON{key: r.Key, quoted: appendJSONString(nil, r.Key), description: nullJSON}
	f.v2Head = append(append(append(append([]byte(nil), f.quoted...), `:{"key":`...), f.quoted...), `,"enabled":`...)
	return &f
}

// payload is the encoded form of r's payload: precomputed when it is one of the flag's stored payloads.
func (f *flagJSON) payload(raw json.RawMessage) *payloadJSONs {
	if len(raw) == 0 {
		return &f.none
	}
	for i := range f.payloads {
		if p := &f.payloads[i]; len(p.raw) == len(raw) && &p.raw[0] == &raw[0] {
			return p
		}
	}
	p := newPayloadJSONs(raw)
	return &p
}
