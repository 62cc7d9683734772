package flag

import (
	"fmt"
	"strconv"
)

// ValidateSet validates every flag (Validate) and what only the whole environment can tell: duplicate
// keys, flag dependencies on flags that do not exist (or are deleted), dependency cycles, and cohort
// filters naming cohorts that do not exist or whose nested cohorts are missing or cyclic. The engine
// evaluates such flags fail-closed; the writer should refuse them.
func ValidateSet(flags []Flag, cohorts []Cohort) []Problem {
	var out []Problem
	byID := map[int64]*Flag{}
	seen := map[string]bool{}
	for i := range flags {
		f := &flags[i]
		if f.Deleted {
			continue
		}
		for _, p := range Validate(f) {
			p.Flag = f.Key
			out = append(out, p)
		}
		if seen[f.Key] {
			out = append(out, Problem{Flag: f.Key, Path: "key", Message: "duplicate flag key"})
		}
		seen[f.Key] = true
		byID[f.ID] = f
	}
	cs := newCohortIndex(cohorts)
	for i := range flags {
		if !flags[i].Deleted {
			out = append(out, references(&flags[i], byID, cs)...)
		}
	}
	return append(out, dependencyCycles(flags, byID)...)
}

// references checks the flag and cohort filters of one flag.
func references(f *Flag, byID map[int64]*Flag, cs cohortIndex) []Problem {
	var out []Problem
	eachProperty(f, func(path string, p *Property) {
		switch p.Type {
		case "flag":
			id, err := strconv.ParseInt(p.Key, 10, 64)
			if err == nil && byID[id] == nil {
				out = append(out, Problem{Flag: f.Key, Path: path + ".key", Message: fmt.Sprintf("flag %d does not exist", id)})
			}
		case "cohort":
			if id, ok := CohortID(p.Value); ok {
				if msg := cs.problem(id); msg != "" {
					out = append(out, Problem{Flag: f.Key, Path: path + ".value", Message: msg})
				}
			}
		}
	})
	return out
}

func eachProperty(f *Flag, fn func(path string, p *Property)) {
	for i := range f.Filters.Groups {
		for j := range f.Filters.Groups[i].Properties {
			fn(fmt.Sprintf("filters.groups[%d].properties[%d]", i, j), &f.Filters.Groups[i].Properties[j])
		}
	}
	for i := range f.Filters.SuperGroups {
		for j := range f.Filters.SuperGroups[i].Properties {
			fn(fmt.Sprintf("filters.super_groups[%d].properties[%d]", i, j), &f.Filters.SuperGroups[i].Properties[j])
		}
	}
}

// dependencies lists the ids of the flags f depends on.
func dependencies(f *Flag) []int64 {
	var ids []int64
	eachProperty(f, func(_ string, p *Property) {
		if p.Type == "flag" {
			if id, err := strconv.ParseInt(p.Key, 10, 64); err == nil {
				ids = append(ids, id)
			}
		}
	})
	return ids
}

// dependencyCycles reports each flag that lies on a dependency cycle.
func dependencyCycles(flags []Flag, byID map[int64]*Flag) []Problem {
	var out []Problem
	for i := range flags {
		f := &flags[i]
		if !f.Deleted && reaches(f.ID, f, byID, map[int64]bool{}) {
			out = append(out, Problem{Flag: f.Key, Path: "filters.groups", Message: "flag dependencies form a cycle through this flag"})
		}
	}
	return out
}

func reaches(target int64, from *Flag, byID map[int64]*Flag, seen map[int64]bool) bool {
	for _, id := range dependencies(from) {
		if id == target {
			return true
		}
		if seen[id] || byID[id] == nil {
			continue
		}
		seen[id] = true
		if reaches(target, byID[id], byID, seen) {
			return true
		}
	}
	return false
}

// cohortIndex answers whether a cohort can be evaluated.
type cohortIndex map[int64]*Cohort

func newCohortIndex(cohorts []Cohort) cohortIndex {
	cs := cohortIndex{}
	for i := range cohorts {
		cs[cohorts[i].ID] = &cohorts[i]
	}
	return cs
}

func (cs cohortIndex) problem(id int64) string {
	return cs.walk(id, map[int64]bool{})
}

func (cs cohortIndex) walk(id int64, visiting map[int64]bool) string {
	c := cs[id]
	if c == nil {
		return fmt.Sprintf("cohort %d does not exist", id)
	}
	if visiting[id] {
		return fmt.Sprintf("cohort %d depends on itself", id)
	}
	tree, err := c.PropertyTree()
	if err != nil {
		return err.Error()
	}
	visiting[id] = true
	defer delete(visiting, id)
	return cs.walkGroup(tree, visiting)
}

func (cs cohortIndex) walkGroup(g *PropertyGroup, visiting map[int64]bool) string {
	if g == nil {
		return ""
	}
	for _, n := range g.Values {
		if n.Group != nil {
			if msg := cs.walkGroup(n.Group, visiting); msg != "" {
				return msg
			}
			continue
		}
		if n.Filter != nil && n.Filter.Type == "cohort" {
			id, ok := CohortID(n.Filter.Value)
			if !ok {
				return "a nested cohort filter has no cohort id"
			}
			if msg := cs.walk(id, visiting); msg != "" {
				return msg
			}
		}
	}
	return ""
}
