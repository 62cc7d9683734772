package httpapi

import (
	"encoding/json"
	"testing"

	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
	"github.com/halyard-flags/halyard/shared/eval"
	"github.com/halyard-flags/halyard/shared/flag"
)

// The encoders alone, on results evaluated once: what an answer costs beyond the engine.
func benchEncodeEnv(b *testing.B, n int) (*store.Env, []eval.Result) {
	b.Helper()
	docs := mixed(n)
	flags := make([]flag.Flag, n)
	for i, d := range docs {
		raw, _ := json.Marshal(d)
		_ = json.Unmarshal(raw, &flags[i])
		flags[i].ID, flags[i].Version, flags[i].Active = int64(i+1), 1, true
	}
	st := store.New()
	st.Apply(testSnapshot(flags, 1))
	env, _ := st.ByID(1)
	ctx := &eval.Context{DistinctID: "user-7", PersonProperties: map[string]any{"email": "user-7@example.com",
		"plan": "pro", "age": json.Number("31"), "country": "NL"}}
	return env, env.Engine.EvaluateAll(ctx, nil)
}

func benchmarkEncode(b *testing.B, n int, encode func(dst []byte, ej *envJSON, results []eval.Result) []byte) {
	env, results := benchEncodeEnv(b, n)
	ej := envJSONOf(env)
	dst := encode(nil, ej, results)
	b.ReportAllocs()
	b.SetBytes(int64(len(dst)))
	for b.Loop() {
		dst = encode(dst[:0], ej, results)
	}
}

func encodeV2(dst []byte, ej *envJSON, results []eval.Result) []byte {
	out, _ := appendAnswer(dst, shapeFlagsV2, ej, false, answerMeta{requestID: "0b8a1f8e-6c3b-4a52-9a49-3c1f1d2e4b5a"}, results)
	return out
}

func BenchmarkEncodeFlagsV2_50(b *testing.B)   { benchmarkEncode(b, 50, encodeV2) }
func BenchmarkEncodeFlagsV2_1000(b *testing.B) { benchmarkEncode(b, 1000, encodeV2) }
func BenchmarkEncodeOFREPBulk50(b *testing.B)  { benchmarkEncode(b, 50, appendOFREPBulk) }

// BenchmarkBuildEnvJSON: what the first request after a new environment version pays, once.
func BenchmarkBuildEnvJSON1000(b *testing.B) {
	env, _ := benchEncodeEnv(b, 1000)
	b.ReportAllocs()
	for b.Loop() {
		_ = buildEnvJSON(env.ID, env.Engine)
	}
}
