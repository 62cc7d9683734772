package httpapi

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/halyard-flags/halyard/shared/flag"
)

// asPostHogServes rewrites a local-evaluation payload into the form PostHog's local_evaluation endpoint
// serves, because SDKs parse and evaluate only that form:
//   - payload values are JSON-encoded strings (older SDKs decode them into strings and reject anything else);
//   - a flag-dependency filter's key (a flag id) becomes the dependency's flag key, and "dependency_chain"
//     lists, in evaluation order, every flag the dependency needs followed by the dependency itself. The
//     chain is empty when the dependency is missing or takes part in a cycle, so SDKs treat it as
//     inconclusive and ask the server.
func asPostHogServes(payload []byte, flags []flag.Flag) ([]byte, error) {
	g := newDepGraph(flags)
	if !g.any && !anyRawPayload(flags) {
		return payload, nil
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	list, _ := doc["flags"].([]any)
	for _, f := range list {
		filters, _ := f.(map[string]any)["filters"].(map[string]any)
		if payloads, ok := filters["payloads"].(map[string]any); ok {
			for k, v := range payloads {
				if _, isString := v.(string); !isString && v != nil {
					b, err := json.Marshal(v)
					if err != nil {
						return nil, err
					}
					payloads[k] = string(b)
				}
			}
		}
		for _, field := range [...]string{"groups", "super_groups", "holdout_groups"} {
			conds, _ := filters[field].([]any)
			for _, c := range conds {
				props, _ := c.(map[string]any)["properties"].([]any)
				for _, p := range props {
					if prop, ok := p.(map[string]any); ok && prop["type"] == "flag" {
						key, _ := prop["key"].(string)
						dep, chain := g.chain(key)
						prop["key"], prop["dependency_chain"] = dep, chain
					}
				}
			}
		}
	}
	return json.Marshal(doc)
}

func anyRawPayload(flags []flag.Flag) bool {
	for i := range flags {
		for _, p := range flags[i].Filters.Payloads {
			if p = bytes.TrimSpace(p); len(p) > 0 && p[0] != '"' {
				return true
			}
		}
	}
	return false
}

type depGraph struct {
	byKey map[string]*flag.Flag
	byID  map[string]*flag.Flag
	any   bool // some flag has a flag-dependency filter
}

func newDepGraph(flags []flag.Flag) *depGraph {
	g := &depGraph{byKey: make(map[string]*flag.Flag, len(flags)), byID: make(map[string]*flag.Flag, len(flags))}
	for i := range flags {
		f := &flags[i]
		g.byKey[f.Key] = f
		g.byID[strconv.FormatInt(f.ID, 10)] = f
		g.any = g.any || len(dependencies(f)) > 0
	}
	return g
}

// resolve finds a dependency by flag id (PostHog's form) or, failing that, by key.
func (g *depGraph) resolve(ref string) *flag.Flag {
	if f, ok := g.byID[ref]; ok {
		return f
	}
	return g.byKey[ref]
}

// chain returns the key the filter should carry and its dependency chain.
func (g *depGraph) chain(ref string) (string, []string) {
	f := g.resolve(ref)
	if f == nil {
		return ref, []string{}
	}
	var out []string
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(f *flag.Flag) bool
	visit = func(f *flag.Flag) bool {
		switch state[f.Key] {
		case 1:
			return false // cycle
		case 2:
			return true
		}
		state[f.Key] = 1
		for _, d := range dependencies(f) {
			dep := g.resolve(d)
			if dep == nil || !visit(dep) {
				return false
			}
		}
		state[f.Key] = 2
		out = append(out, f.Key)
		return true
	}
	if !visit(f) {
		return f.Key, []string{}
	}
	return f.Key, out
}

// dependencies lists the flag references of f's filters, in order.
func dependencies(f *flag.Flag) []string {
	var out []string
	for _, conds := range [][]flag.Condition{f.Filters.Groups, f.Filters.SuperGroups, f.Filters.HoldoutGroups} {
		for _, c := range conds {
			for _, p := range c.Properties {
				if p.Type == "flag" {
					out = append(out, p.Key)
				}
			}
		}
	}
	return out
}
