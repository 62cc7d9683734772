package eval

import (
	"encoding/json"
	"testing"

	"github.com/halyard-flags/halyard/shared/flag"
)

// mustFlags decodes PostHog-shaped flag JSON, as the writer and local-evaluation payloads carry it.
func mustFlags(tb testing.TB, js string) []flag.Flag {
	tb.Helper()
	var fs []flag.Flag
	if err := json.Unmarshal([]byte(js), &fs); err != nil {
		tb.Fatalf("decode flags: %v", err)
	}
	return fs
}

func mustFlag(tb testing.TB, js string) flag.Flag {
	tb.Helper()
	var f flag.Flag
	if err := json.Unmarshal([]byte(js), &f); err != nil {
		tb.Fatalf("decode flag: %v", err)
	}
	return f
}

func compileOne(tb testing.TB, js string) *Engine {
	tb.Helper()
	e := Compile(Definitions{Flags: []flag.Flag{mustFlag(tb, js)}, GroupTypes: map[int]string{0: "company", 1: "project"}})
	if len(e.Problems()) > 0 {
		tb.Fatalf("problems: %v", e.Problems())
	}
	return e
}

func evalOne(tb testing.TB, e *Engine, key string, c *Context) Result {
	tb.Helper()
	r, ok := e.Evaluate(key, c)
	if !ok {
		tb.Fatalf("no flag %q", key)
	}
	return r
}

func mustLocalEvaluation(tb testing.TB, js string) *flag.LocalEvaluation {
	tb.Helper()
	le, err := flag.ParseLocalEvaluation([]byte(js))
	if err != nil {
		tb.Fatal(err)
	}
	return le
}

func jsonUnmarshal(js string, v any) error { return json.Unmarshal([]byte(js), v) }
