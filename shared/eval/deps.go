package eval

// resolveDependencies orders flags so dependencies evaluate first, and marks flags whose dependencies are
// missing, deleted or cyclic — directly or through another flag — which PostHog answers with
// missing_dependency without evaluating them.
func (e *Engine) resolveDependencies() {
	const (
		unvisited = iota
		visiting
		done
	)
	state := make([]uint8, len(e.flags))
	var visit func(i int) bool // returns false when i's dependencies are broken
	visit = func(i int) bool {
		c := e.flags[i]
		switch state[i] {
		case visiting:
			return false // a cycle: every flag on it, and everything depending on it, is broken
		case done:
			return !c.missingDeps
		}
		state[i] = visiting
		ok := !c.hasUnknownDependency()
		for _, d := range c.deps {
			if !visit(d) {
				ok = false
			}
		}
		state[i] = done
		c.missingDeps = !ok
		e.evalOrder = append(e.evalOrder, i)
		return ok
	}
	for i := range e.flags {
		visit(i)
	}
	// A flag on a cycle may have been finished before the cycle was seen from it; propagate once more in
	// evaluation order so every dependent of a broken flag is broken too.
	for _, i := range e.evalOrder {
		for _, d := range e.flags[i].deps {
			if e.flags[d].missingDeps || d == i {
				e.flags[i].missingDeps = true
			}
		}
	}
	for i, c := range e.flags {
		if len(c.deps) > 0 {
			c.order = e.closure(i)
			e.hasDeps = true
		}
	}
}

// hasUnknownDependency reports a flag_evaluates_to filter naming a flag that does not exist.
func (c *compiled) hasUnknownDependency() bool {
	for i := range c.conditions {
		for j := range c.conditions[i].props {
			p := &c.conditions[i].props[j]
			if p.kind == kindFlag && p.depIdx < 0 {
				return true
			}
		}
	}
	if c.super != nil {
		for j := range c.super.props {
			if p := &c.super.props[j]; p.kind == kindFlag && p.depIdx < 0 {
				return true
			}
		}
	}
	return false
}

// closure lists i's transitive dependencies in evaluation order, ending with i itself.
func (e *Engine) closure(i int) []int {
	seen := map[int]bool{}
	var out []int
	var walk func(int)
	walk = func(j int) {
		if seen[j] {
			return
		}
		seen[j] = true
		for _, d := range e.flags[j].deps {
			walk(d)
		}
		out = append(out, j)
	}
	walk(i)
	return out
}
