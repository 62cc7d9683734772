package bench

import (
	"encoding/json"
	"flag"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/halyard-flags/halyard/shared/eval"
)

// The evaluator's handlers cannot be imported from devkit (they are internal), so this file measures, in
// process, the two halves of a /flags?v=2 request on the same data: the engine (EvaluateAll) and the
// response encoding, done the way the evaluator did it until d243af1 (a map of per-flag structs through
// encoding/json, which reflects over every field and sorts the map keys) and with a hand-written appender
// that produces the same JSON: the reference for what encoding should cost next to the engine.

// v2Detail mirrors the evaluator's flagDetail (services/evaluator/internal/httpapi/flags.go).
type v2Detail struct {
	Key      string   `json:"key"`
	Enabled  bool     `json:"enabled"`
	Variant  *string  `json:"variant"`
	Reason   v2Reason `json:"reason"`
	Metadata v2Meta   `json:"metadata"`
}

type v2Reason struct {
	Code           string `json:"code"`
	ConditionIndex *int   `json:"condition_index"`
	Description    string `json:"description"`
}

type v2Meta struct {
	ID          int64           `json:"id"`
	Version     int64           `json:"version"`
	Description *string         `json:"description"`
	Payload     json.RawMessage `json:"payload"`
}

type v2Response struct {
	Flags                     map[string]v2Detail `json:"flags"`
	ErrorsWhileComputingFlags bool                `json:"errorsWhileComputingFlags"`
}

// encodeReflect is the evaluator's original way: build the map, then encoding/json.
func encodeReflect(results []eval.Result) ([]byte, error) {
	out := v2Response{Flags: make(map[string]v2Detail, len(results))}
	for i := range results {
		r := &results[i]
		d := v2Detail{Key: r.Key, Enabled: r.Enabled, Reason: v2Reason{Code: r.Reason.Code, Description: r.Reason.Description},
			Metadata: v2Meta{ID: r.FlagID, Version: r.Version, Payload: r.Payload}}
		if r.Variant != "" {
			v := r.Variant
			d.Variant = &v
		}
		if r.Reason.ConditionIndex >= 0 {
			ci := r.Reason.ConditionIndex
			d.Reason.ConditionIndex = &ci
		}
		out.Flags[r.Key] = d
	}
	return json.Marshal(out)
}

// appendV2 writes the same JSON with no reflection and no intermediate map. Results come in the engine's
// sorted key order, so the output is byte-for-byte what encoding/json produces for the map.
func appendV2(dst []byte, results []eval.Result) []byte {
	dst = append(dst, `{"flags":{`...)
	for i := range results {
		r := &results[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, r.Key)
		dst = append(dst, `:{"key":`...)
		dst = appendString(dst, r.Key)
		dst = append(dst, `,"enabled":`...)
		dst = strconv.AppendBool(dst, r.Enabled)
		dst = append(dst, `,"variant":`...)
		if r.Variant != "" {
			dst = appendString(dst, r.Variant)
		} else {
			dst = append(dst, "null"...)
		}
		dst = append(dst, `,"reason":{"code":`...)
		dst = appendString(dst, r.Reason.Code)
		dst = append(dst, `,"condition_index":`...)
		if r.Reason.ConditionIndex >= 0 {
			dst = strconv.AppendInt(dst, int64(r.Reason.ConditionIndex), 10)
		} else {
			dst = append(dst, "null"...)
		}
		dst = append(dst, `,"description":`...)
		dst = appendString(dst, r.Reason.Description)
		dst = append(dst, `},"metadata":{"id":`...)
		dst = strconv.AppendInt(dst, r.FlagID, 10)
		dst = append(dst, `,"version":`...)
		dst = strconv.AppendInt(dst, r.Version, 10)
		dst = append(dst, `,"description":null,"payload":`...)
		if len(r.Payload) > 0 {
			dst = append(dst, r.Payload...) // already valid JSON (validated by the writer)
		} else {
			dst = append(dst, "null"...)
		}
		dst = append(dst, "}}"...)
	}
	return append(dst, `},"errorsWhileComputingFlags":false}`...)
}

// appendString appends s as a JSON string with encoding/json's escaping (HTML characters included).
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' && c < utf8.RuneSelf {
			dst = append(dst, c)
			i++
			continue
		}
		if c < utf8.RuneSelf {
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = fmt.Appendf(dst, `\u%04x`, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = fmt.Appendf(dst, `\u%04x`, r)
		default:
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}

var benchtimeOnce sync.Once

// EncodingCost is one in-process measurement (the best of a few short runs).
type EncodingCost struct {
	Name        string
	NsPerOp     int64
	AllocsPerOp int64
	BytesPerOp  int64
}

// MeasureV2Encoding compiles n mixed flags and measures the engine and both encodings for one request, each
// the best of reps runs of benchtime.
func MeasureV2Encoding(n, reps int, benchtime string) ([]EncodingCost, error) {
	flags, err := DomainFlags(MixedFlags("k", n), 1)
	if err != nil {
		return nil, err
	}
	engine := eval.Compile(eval.Definitions{Flags: flags})
	var props map[string]any
	_ = json.Unmarshal(FlagsBodies("x")[3], &struct {
		P *map[string]any `json:"person_properties"`
	}{&props})
	ctx := &eval.Context{DistinctID: "user-3", PersonProperties: props}
	results := engine.EvaluateAll(ctx, nil)
	a, err := encodeReflect(results)
	if err != nil {
		return nil, err
	}
	if err := sameJSON(a, appendV2(nil, results)); err != nil {
		return nil, err
	}
	benchtimeOnce.Do(testing.Init)
	_ = flag.Set("test.benchtime", benchtime)
	// The best of a few short runs: other processes on a shared machine only ever make a run slower.
	run := func(name string, fn func(b *testing.B)) EncodingCost {
		best := EncodingCost{Name: name}
		for range reps {
			res := testing.Benchmark(func(b *testing.B) { b.ReportAllocs(); fn(b) })
			if best.NsPerOp == 0 || res.NsPerOp() < best.NsPerOp {
				best.NsPerOp, best.AllocsPerOp, best.BytesPerOp = res.NsPerOp(), res.AllocsPerOp(), res.AllocedBytesPerOp()
			}
		}
		return best
	}
	dst := make([]eval.Result, 0, n)
	buf := make([]byte, 0, 64<<10)
	return []EncodingCost{
		run(fmt.Sprintf("engine: EvaluateAll, %d flags", n), func(b *testing.B) {
			for b.Loop() {
				dst = engine.EvaluateAll(ctx, dst[:0])
			}
		}),
		run(fmt.Sprintf("encode: map + encoding/json (evaluator until d243af1), %d flags", n), func(b *testing.B) {
			for b.Loop() {
				_, _ = encodeReflect(results)
			}
		}),
		run(fmt.Sprintf("encode with an appender, %d flags", n), func(b *testing.B) {
			for b.Loop() {
				buf = appendV2(buf[:0], results)
			}
		}),
		run("request decode: encoding/json into map[string]any (the ceiling's decode)", func(b *testing.B) {
			body := FlagsBodies("x")[3]
			for b.Loop() {
				var v map[string]any
				_ = json.Unmarshal(body, &v)
			}
		}),
	}, nil
}

func sameJSON(a, b []byte) error {
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		return err
	}
	if err := json.Unmarshal(b, &y); err != nil {
		return fmt.Errorf("appender output is not JSON: %w", err)
	}
	if !reflect.DeepEqual(x, y) {
		return fmt.Errorf("appender output differs from encoding/json's")
	}
	return nil
}

// costTable renders the measurements for the report.
func costTable(costs []EncodingCost) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-75s %12s %10s %12s\n", "in process (testing.Benchmark, best of several runs)", "µs/op", "allocs/op", "bytes/op")
	for _, c := range costs {
		fmt.Fprintf(&b, "%-75s %12.1f %10d %12d\n", c.Name, float64(c.NsPerOp)/1000, c.AllocsPerOp, c.BytesPerOp)
	}
	return b.String()
}
