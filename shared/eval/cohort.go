package eval

import (
	"time"

	"github.com/halyard-flags/halyard/shared/flag"
)

// cohort is a compiled cohort: a member set (static) or a filter tree (property cohort).
type cohort struct {
	id      int64
	static  bool
	members map[string]struct{}
	tree    *cnode
	fail    string // ReasonDependencyNotFound / ReasonDependencyCycle when a nested cohort is missing or cyclic
}

// cnode is a node of a compiled cohort tree.
type cnode struct {
	and      bool // AND and "property" groups; false = OR
	valid    bool // a group type PostHog does not know never matches
	children []cnode
	leaf     *prop
}

type cohortSet struct {
	byID map[int64]*cohort
}

// compileCohorts compiles every cohort, then marks those whose nested references are missing or cyclic,
// which PostHog refuses to evaluate (the flag fails closed).
func compileCohorts(defs []flag.Cohort, loc *time.Location) cohortSet {
	s := cohortSet{byID: make(map[int64]*cohort, len(defs))}
	for i := range defs {
		s.byID[defs[i].ID] = compileCohort(&defs[i], loc)
	}
	for _, c := range s.byID {
		c.fail = s.check(c.id, map[int64]bool{})
	}
	return s
}

func compileCohort(d *flag.Cohort, loc *time.Location) *cohort {
	c := &cohort{id: d.ID, static: d.IsStatic}
	if d.IsStatic {
		c.members = make(map[string]struct{}, len(d.Members))
		for _, m := range d.Members {
			c.members[m] = struct{}{}
		}
		return c
	}
	tree, err := d.PropertyTree()
	if err != nil || tree == nil {
		return c // unparseable or empty filters: never a member, as in PostHog
	}
	n, ok := compileGroup(tree, loc)
	if ok {
		c.tree = &n
	}
	return c
}

func compileGroup(g *flag.PropertyGroup, loc *time.Location) (cnode, bool) {
	n := cnode{valid: true}
	switch g.Type {
	case "AND", "property":
		n.and = true
	case "OR":
	default:
		n.valid = false
	}
	for _, v := range g.Values {
		switch {
		case v.Group != nil:
			child, ok := compileGroup(v.Group, loc)
			if !ok {
				return n, false
			}
			n.children = append(n.children, child)
		case v.Filter != nil:
			p, err := compileProp(v.Filter, nil, nil, nil)
			if err != nil {
				return n, false // PostHog cannot deserialize the cohort and treats it as not matching
			}
			p.localize(loc)
			n.children = append(n.children, cnode{leaf: &p})
		}
	}
	return n, true
}

// check walks nested cohort references depth-first: a missing one or a cycle fails the cohort.
func (s cohortSet) check(id int64, visiting map[int64]bool) string {
	c, ok := s.byID[id]
	if !ok {
		return ReasonDependencyNotFound
	}
	if visiting[id] {
		return ReasonDependencyCycle
	}
	if c.tree == nil {
		return ""
	}
	visiting[id] = true
	defer delete(visiting, id)
	return s.checkNode(c.tree, visiting)
}

func (s cohortSet) checkNode(n *cnode, visiting map[int64]bool) string {
	if n.leaf != nil {
		if n.leaf.kind != kindCohort {
			return ""
		}
		if !n.leaf.cohortOK {
			return ReasonDependencyNotFound
		}
		return s.check(n.leaf.cohortID, visiting)
	}
	for i := range n.children {
		if f := s.checkNode(&n.children[i], visiting); f != "" {
			return f
		}
	}
	return ""
}

// member reports whether the context belongs to cohort id, or why that cannot be decided.
func (s cohortSet) member(id int64, c *Context, r *run) (bool, string) {
	co, ok := s.byID[id]
	if !ok {
		return false, ReasonDependencyNotFound
	}
	if co.fail != "" {
		return false, co.fail
	}
	return s.memberOf(co, c, r), ""
}

func (s cohortSet) memberOf(co *cohort, c *Context, r *run) bool {
	if co.static {
		_, in := co.members[c.DistinctID]
		return in
	}
	if co.tree == nil {
		return false
	}
	return s.evalNode(co.tree, c, r)
}

// evalNode follows evaluate_cohort_values: property filters honour negation everywhere, nested cohort
// filters only inside AND groups.
func (s cohortSet) evalNode(n *cnode, c *Context, r *run) bool {
	if !n.valid {
		return false
	}
	for i := range n.children {
		ch := &n.children[i]
		var ok bool
		switch {
		case ch.leaf == nil:
			ok = s.evalNode(ch, c, r)
		case ch.leaf.kind == kindCohort:
			ok = s.nestedMembership(ch.leaf, c, r)
			if n.and && ch.leaf.negation {
				ok = !ok
			}
		default:
			v, present := r.personValue(ch.leaf) // cohorts match every filter against person properties
			ok = ch.leaf.matchValue(v, present, r) != ch.leaf.negation
		}
		if n.and && !ok {
			return false
		}
		if !n.and && ok {
			return true
		}
	}
	return n.and
}

// nestedMembership applies in/not_in to a nested cohort; any other operator never matches.
func (s cohortSet) nestedMembership(p *prop, c *Context, r *run) bool {
	in := false
	if co, ok := s.byID[p.cohortID]; ok && p.cohortOK {
		in = s.memberOf(co, c, r)
	}
	return applyMembership(p.op, in)
}

func applyMembership(o op, in bool) bool {
	switch o {
	case opIn:
		return in
	case opNotIn:
		return !in
	}
	return false
}
