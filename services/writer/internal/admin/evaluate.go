package admin

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/halyard-flags/halyard/shared/eval"
	"github.com/halyard-flags/halyard/shared/flag"
)

// Definitions are an environment's live definitions at one version: what its snapshot carries to the
// evaluators, and what the engine compiles.
type Definitions struct {
	Version    int64
	Flags      []flag.Flag // live ones
	Cohorts    []flag.Cohort
	GroupTypes map[int]string
}

// EvaluationRequest asks what an environment's flags answer a person (and their groups), as an evaluator
// would. Draft, when set, is an unsaved definition evaluated in place of the live flag of its key (or as a
// new flag).
type EvaluationRequest struct {
	DistinctID       string
	PersonProperties map[string]any
	Groups           map[string]string // group type name → group key
	GroupProperties  map[string]map[string]any
	FlagKeys         []string // nil: every flag
	Draft            *FlagSpec
}

// Evaluation is every flag's answer, at the environment version it was computed from.
type Evaluation struct {
	EnvironmentVersion int64                     `json:"environment_version"`
	Flags              map[string]FlagEvaluation `json:"flags"`
}

// FlagEvaluation is one flag's answer and why.
type FlagEvaluation struct {
	Enabled bool             `json:"enabled"`
	Variant *string          `json:"variant"`
	Payload json.RawMessage  `json:"payload"` // as stored; null when none
	Reason  EvaluationReason `json:"reason"`
}

// EvaluationReason is the engine's reason: its code, the condition that decided (null when none), and
// a sentence.
type EvaluationReason struct {
	Code           string `json:"code"`
	ConditionIndex *int   `json:"condition_index"`
	Description    string `json:"description"`
}

// Evaluate compiles defs with the shared engine, the draft in place when there is one, and evaluates the
// requested flags for the request's person. It refuses (422) a request without a distinct id, flag keys
// the environment does not have, and a draft that would not be saved: one that does not validate, or that
// adds a problem to the environment (a missing flag or cohort, a dependency cycle). Problem paths name the
// request's fields: draft.filters…, flag_keys[1].
func Evaluate(defs Definitions, r EvaluationRequest) (Evaluation, error) {
	var problems []flag.Problem
	if r.DistinctID == "" {
		problems = append(problems, problem("distinct_id", "distinct_id is required"))
	}
	if r.Draft != nil {
		var ps []flag.Problem
		if defs, ps = defs.withDraft(*r.Draft); len(ps) > 0 {
			return Evaluation{}, Invalid(append(problems, ps...)...)
		}
	}
	engine := eval.Compile(eval.Definitions{Flags: defs.Flags, Cohorts: defs.Cohorts, GroupTypes: defs.GroupTypes})
	for i, k := range r.FlagKeys {
		if _, ok := engine.Flag(k); !ok {
			problems = append(problems, problem(fmt.Sprintf("flag_keys[%d]", i), fmt.Sprintf("the environment has no live flag %q", k)))
		}
	}
	if err := invalidIf(problems); err != nil {
		return Evaluation{}, err
	}
	var results []eval.Result
	if r.FlagKeys != nil {
		results = engine.EvaluateKeys(r.FlagKeys, r.context(), nil)
	} else {
		results = engine.EvaluateAll(r.context(), nil)
	}
	out := Evaluation{EnvironmentVersion: defs.Version, Flags: make(map[string]FlagEvaluation, len(results))}
	for _, res := range results {
		out.Flags[res.Key] = flagEvaluation(res)
	}
	return out, nil
}

func flagEvaluation(res eval.Result) FlagEvaluation {
	fe := FlagEvaluation{Enabled: res.Enabled, Payload: res.Payload,
		Reason: EvaluationReason{Code: res.Reason.Code, Description: res.Reason.Description}}
	if res.Variant != "" {
		fe.Variant = &res.Variant
	}
	if i := res.Reason.ConditionIndex; i >= 0 {
		fe.Reason.ConditionIndex = &i
	}
	return fe
}

// context is the engine's context as the evaluators build it from a /flags request: each group's key is
// also its "$group_key" property, as PostHog adds it.
func (r EvaluationRequest) context() *eval.Context {
	c := &eval.Context{DistinctID: r.DistinctID, PersonProperties: r.PersonProperties, Groups: r.Groups,
		GroupProperties: make(map[string]map[string]any, len(r.GroupProperties)+len(r.Groups))}
	for typ, props := range r.GroupProperties {
		c.GroupProperties[typ] = props
	}
	for typ, key := range r.Groups {
		props := make(map[string]any, len(c.GroupProperties[typ])+1)
		for k, v := range c.GroupProperties[typ] {
			props[k] = v
		}
		if _, set := props["$group_key"]; !set {
			props["$group_key"] = key
		}
		c.GroupProperties[typ] = props
	}
	return c
}

// withDraft returns defs with draft in place of the live flag of its key, keeping that flag's id (which
// other flags' dependencies name) and version, or added as a new flag; or the problems that refuse it: the
// draft must validate as PUT /flags/{key} validates it, and must not add a problem to the environment.
func (d Definitions) withDraft(draft FlagSpec) (Definitions, []flag.Problem) {
	if ps := flagProblems(&draft); len(ps) > 0 {
		return d, underDraft(ps, draft.Key)
	}
	next := draft.Flag
	next.Deleted = false
	flags := slices.Clone(d.Flags)
	if i := slices.IndexFunc(flags, func(f flag.Flag) bool { return f.Key == next.Key }); i >= 0 {
		next.ID, next.Version = flags[i].ID, flags[i].Version
		flags[i] = next
	} else {
		next.ID, next.Version = 1, 0 // an id no other flag has
		for _, f := range flags {
			next.ID = max(next.ID, f.ID+1)
		}
		flags = append(flags, next)
	}
	// A draft that references no flag and no cohort cannot add a problem to the set (other flags name it by
	// the id it keeps), so only one that does is checked against the whole set, as a save checks it.
	if HasReferences(&next) {
		if ps := newProblems(flag.ValidateSet(d.Flags, d.Cohorts), flag.ValidateSet(flags, d.Cohorts)); len(ps) > 0 {
			return d, underDraft(ps, draft.Key)
		}
	}
	d.Flags = flags
	return d, nil
}

// underDraft puts the paths of the draft's own problems under "draft."; a problem in another flag keeps
// its path and names that flag.
func underDraft(ps []flag.Problem, key string) []flag.Problem {
	out := make([]flag.Problem, len(ps))
	for i, p := range ps {
		if p.Flag == "" || p.Flag == key {
			p.Flag, p.Path = "", "draft."+strings.TrimPrefix(p.Path, ".")
		}
		out[i] = p
	}
	return out
}
