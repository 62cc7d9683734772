package admin

import (
	"fmt"

	"github.com/halyard-flags/halyard/shared/flag"
)

// EachFlagProperty calls fn on every property filter of a flag's conditions (groups, super groups and
// holdout groups).
func EachFlagProperty(f *flag.Flag, fn func(p *flag.Property)) {
	for _, groups := range [][]flag.Condition{f.Filters.Groups, f.Filters.SuperGroups, f.Filters.HoldoutGroups} {
		for i := range groups {
			for j := range groups[i].Properties {
				fn(&groups[i].Properties[j])
			}
		}
	}
}

// EachCondition calls fn with every condition of the filters and its path under "filters.".
func EachCondition(fl *flag.Filters, fn func(path string, c *flag.Condition)) {
	for _, list := range []struct {
		name  string
		conds []flag.Condition
	}{{"groups", fl.Groups}, {"super_groups", fl.SuperGroups}, {"holdout_groups", fl.HoldoutGroups}} {
		for i := range list.conds {
			fn(fmt.Sprintf("%s[%d]", list.name, i), &list.conds[i])
		}
	}
}

// EachTreeProperty calls fn on every property filter of a cohort's nested AND/OR tree.
func EachTreeProperty(g *flag.PropertyGroup, fn func(p *flag.Property)) {
	if g == nil {
		return
	}
	for i := range g.Values {
		if g.Values[i].Group != nil {
			EachTreeProperty(g.Values[i].Group, fn)
		} else if g.Values[i].Filter != nil {
			fn(g.Values[i].Filter)
		}
	}
}
