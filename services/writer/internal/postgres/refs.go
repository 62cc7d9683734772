package postgres

import (
	"github.com/halyard-flags/halyard/shared/flag"
)

// eachFlagProperty calls fn on every property filter of a flag's conditions.
func eachFlagProperty(f *flag.Flag, fn func(p *flag.Property)) {
	for _, groups := range [][]flag.Condition{f.Filters.Groups, f.Filters.SuperGroups, f.Filters.HoldoutGroups} {
		for i := range groups {
			for j := range groups[i].Properties {
				fn(&groups[i].Properties[j])
			}
		}
	}
}

// eachTreeProperty calls fn on every property filter of a cohort's property tree.
func eachTreeProperty(g *flag.PropertyGroup, fn func(p *flag.Property)) {
	if g == nil {
		return
	}
	for i := range g.Values {
		if g.Values[i].Group != nil {
			eachTreeProperty(g.Values[i].Group, fn)
		} else if g.Values[i].Filter != nil {
			fn(g.Values[i].Filter)
		}
	}
}
