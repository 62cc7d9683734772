package httpapi

import (
	"encoding/json"

	"github.com/halyard-flags/halyard/services/evaluator/internal/envview"
	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
	"github.com/halyard-flags/halyard/shared/eval"
)

// The parts of the answers that depend only on the environment version are encoded once per version and
// kept with it (envview.View, in the store's Env). These names keep the encoders' vocabulary.
type (
	envJSON      = envview.Fragments
	flagJSON     = envview.Flag
	payloadJSONs = envview.Payload
)

// envJSONOf returns env's fragments, encoding them on the first request for this version.
func envJSONOf(env *store.Env) *envJSON {
	return env.View().Fragments.Get(func() *envJSON { return buildEnvJSON(env.ID, env.Engine) })
}

func buildEnvJSON(envID int64, e *eval.Engine) *envJSON {
	keys := e.Keys()
	ej := &envJSON{Flags: make([]flagJSON, len(keys)), ByKey: make(map[string]int, len(keys)),
		FlagSetID: append(appendInt([]byte(`,"flagSetId":"`), envID), '"')}
	a := &arena{b: make([]byte, 0, arenaSize(e))}
	for i, k := range keys {
		ej.Flags[i] = newFlagJSON(e, k, a)
		ej.ByKey[k] = i
		ej.Scoped = ej.Scoped || scoped(&ej.Flags[i])
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
	f := flagJSON{Key: key, Description: nullJSON}
	s := len(a.b)
	a.b = appendJSONString(a.b, key)
	f.Quoted = a.since(s)
	s = len(a.b)
	a.b = append(append(append(append(a.b, f.Quoted...), `:{"key":`...), f.Quoted...), `,"enabled":`...)
	f.V2Head = a.since(s)
	def, ok := e.Flag(key)
	if !ok {
		return f
	}
	f.ID, f.Version = def.ID, def.Version
	f.Runtime, f.Contexts = def.EvaluationRuntime, def.EvaluationContexts
	s = len(a.b)
	a.b = appendInt(append(a.b, `"flagId":`...), f.ID)
	f.OFREPFlagID = a.since(s)
	s = len(a.b)
	a.b = append(appendInt(append(a.b, `,"version":"`...), f.Version), `"}}`...)
	f.OFREPTail = a.since(s)
	if def.Description != "" {
		s = len(a.b)
		a.b = appendJSONString(a.b, def.Description)
		f.Description = a.since(s)
	}
	f.Multivariate = def.Filters.Multivariate != nil && len(def.Filters.Multivariate.Variants) > 0
	s = len(a.b)
	a.b = appendV2Tail(a.b, f.ID, f.Version, f.Description, nil)
	f.None.V2Tail = a.since(s)
	for _, raw := range def.Filters.Payloads {
		if len(raw) > 0 {
			p := newPayloadJSONs(raw)
			s = len(a.b)
			a.b = appendV2Tail(a.b, f.ID, f.Version, f.Description, p.PostHog)
			p.V2Tail = a.since(s)
			f.Payloads = append(f.Payloads, p)
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
	p := payloadJSONs{Raw: raw}
	if pj := payloadJSON(raw); pj != nil {
		// encoding/json validates and compacts (HTML-escaping) a RawMessage; do exactly that.
		p.PostHog, p.Err = json.Marshal(pj)
	}
	if t := payloadText(raw); t != "" {
		p.OFREP = appendJSONString(nil, t)
	}
	return p
}

// flagOf finds the encoded flag of a result. hint is where the previous result's flag was plus one: results
// of EvaluateAll come in the same order, so the map is only consulted after a skipped (inactive) flag.
func flagOf(ej *envJSON, r *eval.Result, hint *int) *flagJSON {
	if i := *hint; i < len(ej.Flags) && ej.Flags[i].Key == r.Key {
		*hint = i + 1
		return &ej.Flags[i]
	}
	if i, ok := ej.ByKey[r.Key]; ok {
		*hint = i + 1
		return &ej.Flags[i]
	}
	f := flagJSON{Key: r.Key, Quoted: appendJSONString(nil, r.Key), Description: nullJSON}
	f.V2Head = append(append(append(append([]byte(nil), f.Quoted...), `:{"key":`...), f.Quoted...), `,"enabled":`...)
	return &f
}

// payloadOf is the encoded form of r's payload: precomputed when it is one of the flag's stored payloads.
func payloadOf(f *flagJSON, raw json.RawMessage) *payloadJSONs {
	if len(raw) == 0 {
		return &f.None
	}
	for i := range f.Payloads {
		if p := &f.Payloads[i]; len(p.Raw) == len(raw) && &p.Raw[0] == &raw[0] {
			return p
		}
	}
	p := newPayloadJSONs(raw)
	return &p
}
