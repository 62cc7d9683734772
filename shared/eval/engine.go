package eval

import (
	"fmt"
	"sort"

	"github.com/halyard-flags/halyard/shared/flag"
)

// Engine is one environment's compiled definitions. It is immutable, so any number of goroutines may
// evaluate with it at once; a new snapshot means a new Engine.
type Engine struct {
	flags      []*compiled // in Keys() order
	byKey      map[string]int
	keys       []string
	evalOrder  []int // dependencies before dependents
	hasDeps    bool  // some flag depends on another: EvaluateAll remembers values
	cohorts    cohortSet
	groupTypes map[int]string
	problems   []CompileError
}

// Compile prepares every flag once (regexes, numbers, dates, semvers, variant tables, dependency order).
// It never fails as a whole: a flag that cannot be compiled fails closed and is reported in Problems().
func Compile(d Definitions) *Engine {
	e := &Engine{byKey: map[string]int{}, groupTypes: d.GroupTypes}
	defs := e.collect(d.Flags)
	flagIDs := make(map[int64]int, len(defs))
	for i, f := range defs {
		if _, dup := flagIDs[f.ID]; !dup {
			flagIDs[f.ID] = i
		}
	}
	e.cohorts = compileCohorts(d.Cohorts, d.Timezone)
	for _, f := range defs {
		c := compileFlag(f, d.GroupTypes, flagIDs, d.Timezone)
		if c.broken != nil {
			e.problems = append(e.problems, CompileError{FlagKey: f.Key, Err: c.broken})
		}
		e.flags = append(e.flags, c)
	}
	e.resolveDependencies()
	return e
}

// collect copies the non-deleted flags in key order; a duplicated key keeps its first definition.
func (e *Engine) collect(in []flag.Flag) []*flag.Flag {
	var defs []*flag.Flag
	for i := range in {
		f := in[i] // a copy: the engine must not change under the caller's feet
		if f.Deleted {
			continue
		}
		if _, dup := e.byKey[f.Key]; dup {
			e.problems = append(e.problems, CompileError{FlagKey: f.Key, Err: fmt.Errorf("duplicate flag key, id %d ignored", f.ID)})
			continue
		}
		e.byKey[f.Key] = -1
		defs = append(defs, &f)
	}
	sort.SliceStable(defs, func(i, j int) bool { return defs[i].Key < defs[j].Key })
	for i, f := range defs {
		e.byKey[f.Key] = i
		e.keys = append(e.keys, f.Key)
	}
	return defs
}

// Problems lists the flags that could not be compiled; they evaluate to false with Result.Failed.
func (e *Engine) Problems() []CompileError { return e.problems }

// Len is the number of flags (not deleted).
func (e *Engine) Len() int { return len(e.flags) }

// Keys returns the flag keys in a stable (sorted) order. The slice is shared: do not modify it.
func (e *Engine) Keys() []string { return e.keys }

// Flag returns the definition of key.
func (e *Engine) Flag(key string) (*flag.Flag, bool) {
	i, ok := e.byKey[key]
	if !ok {
		return nil, false
	}
	return e.flags[i].def, true
}
