package eval

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// maxEvalTime bounds one evaluation of one flag against the worst property values a 1 MiB request can
// carry. Go's regexp is RE2 (linear in the input, no backtracking) and dates parse in linear time, so the
// bound holds for any pattern an admin writes and any value an SDK sends; this test measures it.
const maxEvalTime = 250 * time.Millisecond

// TestPathologicalRegexesAndDates evaluates the patterns that backtracking engines take exponential time
// on, and date filters and values at the edges (huge relative offsets, 1e308 seconds, 1 MiB strings),
// against near-1 MiB property values: each evaluation ends within maxEvalTime and does not panic.
func TestPathologicalRegexesAndDates(t *testing.T) {
	long := strings.Repeat("a", 1<<20-64) + "!"
	regexes := []string{`^(a+)+$`, `^(a|aa)*$`, `^(a|a?)+$`, `(x+x+)+y`, `^(([a-z])+.)+[A-Z]([a-z])+$`, `(.*a){20}`,
		`a{1000}`, `(?i)(\w+\s?)*$`}
	dateOperands := []string{`-99999999999d`, `-2147483648y`, `1e308`, `9999-12-31T23:59:59.999999999+14:00`,
		`0000-01-01`, strings.Repeat("9", 10000), `-1h`}
	dateValues := []any{long, "1e308", "-1e308", "NaN", "inf", strings.Repeat("1", 4096), 1e308, -1e308,
		"2024-02-30T25:61:61Z", "  2024-01-01  "}
	var worst time.Duration
	var worstWhat string
	measure := func(what string, e *Engine, props map[string]any) {
		t.Helper()
		start := time.Now()
		e.EvaluateAll(&Context{DistinctID: "u", PersonProperties: props, Now: time.Unix(1_800_000_000, 0)}, nil)
		d := time.Since(start)
		if d > worst {
			worst, worstWhat = d, what
		}
		if d > maxEvalTime {
			t.Errorf("%s: %v, want at most %v", what, d, maxEvalTime)
		}
	}
	for _, re := range regexes {
		for _, op := range []string{"regex", "not_regex"} {
			e := pathologicalEngine(t, op, re)
			measure(op+" "+re, e, map[string]any{"p": long})
		}
	}
	for _, operand := range dateOperands {
		for _, op := range []string{"is_date_before", "is_date_after", "is_date_exact"} {
			e := pathologicalEngine(t, op, operand)
			for _, v := range dateValues {
				measure(op+" "+trim(operand)+" on "+trim(v), e, map[string]any{"p": v})
			}
		}
	}
	t.Logf("worst: %v (%s)", worst, worstWhat)
}

// pathologicalEngine compiles one flag with one condition, p <op> operand, whether or not it validates
// (the evaluators compile what they receive).
func pathologicalEngine(tb testing.TB, op, operand string) *Engine {
	tb.Helper()
	value, _ := json.Marshal(operand)
	return Compile(Definitions{Flags: mustFlags(tb, `[{"key":"f","active":true,"filters":{"groups":[{"properties":[`+
		`{"key":"p","type":"person","operator":"`+op+`","value":`+string(value)+`}],"rollout_percentage":100}]}}]`)})
}

func trim(v any) string {
	s, _ := json.Marshal(v)
	if len(s) > 40 {
		return string(s[:40]) + "…"
	}
	return string(s)
}
