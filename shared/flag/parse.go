package flag

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
)

// ParseFlag decodes one flag in PostHog's JSON shape. Fields PostHog emits that Halyard does not use
// (team_id, has_encrypted_payloads, …) are ignored.
func ParseFlag(b []byte) (Flag, error) {
	var f Flag
	if err := json.Unmarshal(b, &f); err != nil {
		return Flag{}, fmt.Errorf("flag.ParseFlag: %w", err)
	}
	return f, nil
}

// FieldError is a payload whose JSON is well formed but whose field at Path does not hold what it must.
// Its message is meant for the payload's author.
type FieldError struct {
	Path    string
	Message string
}

func (e *FieldError) Error() string { return e.Path + ": " + e.Message }

// LocalEvaluation is PostHog's local-evaluation payload, as SDKs download it.
type LocalEvaluation struct {
	Flags      []Flag
	GroupTypes map[int]string
	Cohorts    []Cohort // property cohorts, sorted by id
}

type localEvaluationJSON struct {
	Flags            []Flag                     `json:"flags"`
	GroupTypeMapping map[string]string          `json:"group_type_mapping"`
	Cohorts          map[string]json.RawMessage `json:"cohorts"`
}

// ParseLocalEvaluation decodes {"flags":[...],"group_type_mapping":{"0":"company"},"cohorts":{"id": {...}}}.
// Each cohort value is the cohort's property group ({"type":"OR","values":[...]}).
func ParseLocalEvaluation(b []byte) (*LocalEvaluation, error) {
	var raw localEvaluationJSON
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("flag.ParseLocalEvaluation: %w", err)
	}
	le := &LocalEvaluation{Flags: raw.Flags, GroupTypes: map[int]string{}}
	for k, name := range raw.GroupTypeMapping {
		i, err := strconv.Atoi(k)
		if err != nil {
			return nil, &FieldError{Path: "group_type_mapping", Message: fmt.Sprintf("key %q is not a group type index", k)}
		}
		le.GroupTypes[i] = name
	}
	for k, filters := range raw.Cohorts {
		id, err := strconv.ParseInt(k, 10, 64)
		if err != nil {
			return nil, &FieldError{Path: "cohorts", Message: fmt.Sprintf("key %q is not a cohort id", k)}
		}
		le.Cohorts = append(le.Cohorts, Cohort{ID: id, Filters: filters})
	}
	sort.Slice(le.Cohorts, func(i, j int) bool { return le.Cohorts[i].ID < le.Cohorts[j].ID })
	return le, nil
}

// MarshalLocalEvaluation writes the payload back in PostHog's shape (the evaluator serves it to SDKs).
func MarshalLocalEvaluation(le *LocalEvaluation) ([]byte, error) {
	out := localEvaluationJSON{Flags: le.Flags, GroupTypeMapping: map[string]string{}, Cohorts: map[string]json.RawMessage{}}
	if out.Flags == nil {
		out.Flags = []Flag{}
	}
	for i, name := range le.GroupTypes {
		out.GroupTypeMapping[strconv.Itoa(i)] = name
	}
	for _, c := range le.Cohorts {
		tree, err := c.PropertyTree()
		if err != nil || tree == nil {
			continue // static cohorts cannot be evaluated by SDKs; PostHog leaves them out too
		}
		b, err := json.Marshal(tree)
		if err != nil {
			return nil, err
		}
		out.Cohorts[strconv.FormatInt(c.ID, 10)] = b
	}
	return json.Marshal(out)
}
