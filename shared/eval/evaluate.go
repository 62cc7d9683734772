package eval

import (
	"encoding/json"
	"slices"
	"time"
)

// depVal is a flag's value as a dependent sees it.
type depVal struct {
	known   bool // false: not evaluated or failed — no flag_evaluates_to filter matches it
	enabled bool
	variant string
}

// run is the state of one evaluation call.
type run struct {
	e      *Engine
	c      *Context
	now    time.Time
	nowSet bool
	vals   []depVal // by flag index; nil when no dependency needs it

	distinct    any // Context.DistinctID boxed, for person filters on "distinct_id" (see person.go)
	distinctSet bool

	nums  [4]parsedNumber // number texts already parsed in this call (see number)
	nNums int
}

type parsedNumber struct {
	text string
	f    float64
	ok   bool
}

// number is toFloat(v), remembering what numeric text parsed to: a property such as "age" that many flags'
// conditions compare is parsed once per evaluation call rather than once per condition. The same text
// always parses to the same value, so remembering it cannot change an answer.
func (r *run) number(v any) (float64, bool) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = string(x)
	case string:
		s = x
	default:
		return toFloat(v)
	}
	for i := range r.nums[:r.nNums] {
		if r.nums[i].text == s {
			return r.nums[i].f, r.nums[i].ok
		}
	}
	f, ok := parseRustFloat(s)
	if r.nNums < len(r.nums) {
		r.nums[r.nNums] = parsedNumber{text: s, f: f, ok: ok}
		r.nNums++
	}
	return f, ok
}

func (r *run) clock() time.Time {
	if !r.nowSet {
		r.now, r.nowSet = r.c.Now, true
		if r.now.IsZero() {
			r.now = time.Now()
		}
	}
	return r.now
}

// Evaluate returns the value of one flag; false when there is no such flag.
func (e *Engine) Evaluate(key string, c *Context) (Result, bool) {
	i, ok := e.byKey[key]
	if !ok {
		return Result{}, false
	}
	r := run{e: e, c: c}
	f := e.flags[i]
	var res Result
	if len(f.order) > 0 && !f.missingDeps {
		r.vals = make([]depVal, len(e.flags))
		for _, j := range f.order[:len(f.order)-1] {
			r.flag(j, &res)
			r.remember(j, &res)
		}
	}
	r.flag(i, &res)
	return res, true
}

// EvaluateAll appends every flag's result to dst in Keys() order.
func (e *Engine) EvaluateAll(c *Context, dst []Result) []Result {
	base := len(dst)
	dst = slices.Grow(dst, len(e.flags))[:base+len(e.flags)]
	r := run{e: e, c: c}
	out := dst[base:]
	if e.hasDeps {
		r.vals = make([]depVal, len(e.flags))
	}
	for _, i := range e.evalOrder {
		r.flag(i, &out[i])
		if r.vals != nil {
			r.remember(i, &out[i])
		}
	}
	return dst
}

// EvaluateKeys appends the results of the given flags, in the given order; unknown keys are skipped.
// Dependencies are evaluated as needed but not appended.
func (e *Engine) EvaluateKeys(keys []string, c *Context, dst []Result) []Result {
	r := run{e: e, c: c}
	var done []bool
	for _, k := range keys {
		i, ok := e.byKey[k]
		if !ok {
			continue
		}
		f := e.flags[i]
		if len(f.order) > 0 && !f.missingDeps {
			if r.vals == nil {
				r.vals, done = make([]depVal, len(e.flags)), make([]bool, len(e.flags))
			}
			var dep Result
			for _, j := range f.order[:len(f.order)-1] {
				if !done[j] {
					r.flag(j, &dep)
					r.remember(j, &dep)
					done[j] = true
				}
			}
		}
		dst = append(dst, Result{})
		r.flag(i, &dst[len(dst)-1])
	}
	return dst
}

func (r *run) remember(i int, res *Result) {
	if res.Failed {
		return
	}
	r.vals[i] = depVal{known: true, enabled: res.Enabled, variant: res.Variant}
}
