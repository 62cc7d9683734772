package admin

import (
	"encoding/json"
	"strconv"

	"github.com/halyard-flags/halyard/shared/flag"
)

// Definitions reference flags by id (flag dependencies) and cohorts by id (cohort filters). Moving them to
// another environment (an import, a copy) maps those ids to the target's.

// RewriteFlagFilters returns a copy of filters whose flag dependencies and cohort references point to the
// target environment's ids. References with no mapping are kept as they are, and validation refuses them
// when they name nothing in the environment.
func RewriteFlagFilters(in flag.Filters, flagIDs func(int64) (int64, bool), cohortIDs map[int64]int64) flag.Filters {
	var out flag.Filters
	b, _ := json.Marshal(in)
	_ = json.Unmarshal(b, &out) // a deep copy: the caller's filters stay untouched
	f := flag.Flag{Filters: out}
	EachFlagProperty(&f, func(p *flag.Property) {
		switch p.Type {
		case "flag":
			if id, err := strconv.ParseInt(p.Key, 10, 64); err == nil {
				if to, ok := flagIDs(id); ok {
					p.Key = strconv.FormatInt(to, 10)
				}
			}
		case "cohort":
			rewriteCohortRef(p, cohortIDs)
		}
	})
	return f.Filters
}

func rewriteCohortRef(p *flag.Property, cohortIDs map[int64]int64) {
	if id, ok := flag.CohortID(p.Value); ok {
		if to, ok := cohortIDs[id]; ok {
			p.Value = to
		}
	}
}

// RewriteCohortFilters maps the nested cohort references of a property cohort's tree and returns the tree
// in PostHog's database shape, {"properties": tree}. Filters without a tree come back as they are.
func RewriteCohortFilters(filters json.RawMessage, cohortIDs map[int64]int64) (json.RawMessage, error) {
	c := flag.Cohort{Filters: filters}
	tree, err := c.PropertyTree()
	if err != nil || tree == nil {
		return filters, err
	}
	EachTreeProperty(tree, func(p *flag.Property) {
		if p.Type == "cohort" {
			rewriteCohortRef(p, cohortIDs)
		}
	})
	return json.Marshal(map[string]any{"properties": tree})
}
