package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/halyard-flags/halyard/services/evaluator/internal/store"
	"github.com/halyard-flags/halyard/shared/eval"
	"github.com/halyard-flags/halyard/shared/flag"
)

// awkward are strings encoding/json escapes in every way it can: quotes, backslashes, control characters,
// HTML characters, U+2028/U+2029, invalid UTF-8, multi-byte runes and surrogate-range escapes.
var awkward = []string{"", "plain", `quo"te`, `back\slash`, "tab\tnew\nline\r\b\f", "\x00\x01\x1f\x7f",
	"<script>&amp;</script>", "line\u2028para\u2029", "bad\xffutf8\xc3", "héllo wörld ✓ 🚀", "\xed\xa0\x80",
	`\u00e9 stays escaped`, "日本語のフラグ", "a\u0000b"}

func randString(rng *rand.Rand) string {
	if rng.IntN(3) == 0 {
		return awkward[rng.IntN(len(awkward))]
	}
	var b strings.Builder
	for range rng.IntN(12) {
		switch rng.IntN(6) {
		case 0:
			b.WriteByte(byte(rng.IntN(0x80)))
		case 1:
			b.WriteByte(byte(0x80 + rng.IntN(0x80))) // often invalid UTF-8
		case 2:
			b.WriteRune(rune(0x80 + rng.IntN(0x2100)))
		case 3:
			b.WriteRune(rune(0x10000 + rng.IntN(0x1000)))
		default:
			b.WriteByte("abcxyz-_019"[rng.IntN(11)])
		}
	}
	return b.String()
}

func TestAppendJSONString(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := append([]string(nil), awkward...)
	for range 20000 {
		cases = append(cases, randString(rng))
	}
	for r := rune(0); r < 0x3000; r++ {
		cases = append(cases, string(r))
	}
	for _, s := range cases {
		checkJSONString(t, s)
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range awkward {
		f.Add(s)
	}
	f.Fuzz(checkJSONString)
}

func checkJSONString(t *testing.T, s string) {
	want, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if got := appendJSONString([]byte("x"), s); !bytes.Equal(got[1:], want) || got[0] != 'x' {
		t.Fatalf("appendJSONString(%q) = %s, encoding/json writes %s", s, got[1:], want)
	}

}

// randPayload is a stored payload in any of the forms snapshots carry: PostHog's JSON-encoded strings, raw
// JSON values, with HTML characters, escapes and surrounding space.
func randPayload(rng *rand.Rand) json.RawMessage {
	switch rng.IntN(9) {
	case 0:
		return nil
	case 1:
		return json.RawMessage(`null`)
	case 2:
		return json.RawMessage(" \n ")
	case 3:
		b, _ := json.Marshal(map[string]any{"s": randString(rng), "n": rng.IntN(100), "l": []any{true, nil, 1.5}})
		return b
	case 4:
		inner, _ := json.Marshal(map[string]any{"html": "<b>&</b>", "s": randString(rng)})
		b, _ := json.Marshal(string(inner)) // PostHog's form: a JSON string holding JSON
		return b
	case 5:
		b, _ := json.Marshal(randString(rng))
		return b
	case 6:
		return json.RawMessage(` { "a" : [ 1 , 2 ] , "<" : "\u003c\u2028" } `)
	case 7:
		return json.RawMessage(`"\u00e9\n<tag>"`)
	}
	return json.RawMessage(fmt.Sprint(rng.IntN(1000)))
}

// randEnv is an environment of n flags with awkward keys, descriptions, variants and payloads.
func randEnv(rng *rand.Rand, n int) *store.Env {
	flags := make([]flag.Flag, n)
	for i := range flags {
		f := flag.Flag{ID: int64(i*7 + 1), Key: fmt.Sprintf("f%03d-%s", i, randString(rng)), Active: rng.IntN(5) > 0,
			Version: int64(rng.IntN(50)), Description: randString(rng)}
		pct := float64(rng.IntN(101))
		f.Filters.Groups = []flag.Condition{{RolloutPercentage: &pct}}
		if rng.IntN(3) == 0 {
			f.Filters.Groups = append([]flag.Condition{{Properties: []flag.Property{{Key: "email", Type: "person",
				Operator: "icontains", Value: "@example"}}, RolloutPercentage: &pct}}, f.Filters.Groups...)
		}
		f.Filters.Payloads = map[string]json.RawMessage{}
		if p := randPayload(rng); p != nil {
			f.Filters.Payloads["true"] = p
		}
		if rng.IntN(3) == 0 {
			k := rng.IntN(3) + 1
			mv := &flag.Multivariate{}
			for v := range k {
				key := fmt.Sprintf("v%d-%s", v, randString(rng))
				mv.Variants = append(mv.Variants, flag.Variant{Key: key, RolloutPercentage: 100 / float64(k)})
				if p := randPayload(rng); p != nil {
					f.Filters.Payloads[key] = p
				}
			}
			mv.Variants[k-1].RolloutPercentage += 100 - float64(k)*(100/float64(k))
			f.Filters.Multivariate = mv
		}
		flags[i] = f
	}
	st := store.New()
	st.Apply(testSnapshot(flags, 1))
	env, _ := st.ByID(1)
	return env
}

// randResults are results as the engine makes them, plus hand-made ones covering what a healthy engine
// rarely returns: failures, every reason code, unknown keys, payloads not from the definition.
func randResults(rng *rand.Rand, env *store.Env) []eval.Result {
	ctx := &eval.Context{DistinctID: randString(rng), PersonProperties: map[string]any{"email": "a@example.com"}}
	keys := env.Engine.Keys()
	switch rng.IntN(4) {
	case 0:
		return env.Engine.EvaluateAll(ctx, nil)
	case 1:
		return evaluate(env, nil, ctx, nil)
	case 2:
		var ks []string
		for range rng.IntN(8) {
			ks = append(ks, keys[rng.IntN(len(keys))]) // duplicates too, in request order
		}
		return evaluate(env, ks, ctx, nil)
	}
	codes := []string{eval.ReasonConditionMatch, eval.ReasonNoConditionMatch, eval.ReasonOutOfRolloutBound,
		eval.ReasonNoGroupType, eval.ReasonFlagDisabled, eval.ReasonSuperConditionValue, eval.ReasonHoldoutConditionValue,
		eval.ReasonMissingDependency, "dependency_not_found", randString(rng)}
	var out []eval.Result
	for range rng.IntN(10) {
		key := keys[rng.IntN(len(keys))]
		if rng.IntN(10) == 0 {
			key = randString(rng)
		}
		r := eval.Result{Key: key, FlagID: rng.Int64N(1 << 40), Version: rng.Int64N(100), Enabled: rng.IntN(2) == 0,
			Reason: eval.Reason{Code: codes[rng.IntN(len(codes))], ConditionIndex: rng.IntN(4) - 1, Description: randString(rng)},
			Failed: rng.IntN(6) == 0}
		if rng.IntN(2) == 0 {
			r.Variant = randString(rng)
		}
		if f, ok := env.Engine.Flag(key); ok && rng.IntN(2) == 0 {
			for _, p := range f.Filters.Payloads {
				r.Payload = p // the definition's own bytes: the precomputed path
			}
		} else if rng.IntN(2) == 0 {
			r.Payload = bytes.Clone(randPayload(rng)) // not the definition's bytes: encoded on the fly
		}
		out = append(out, r)
	}
	return out
}

// TestRenderMatchesEncodingJSON: for every answer shape, the appenders write byte for byte what
// encoding/json wrote for the original response structs (reference_test.go), over generated environments
// and results.
func TestRenderMatchesEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for e := range 40 {
		env := randEnv(rng, 1+rng.IntN(30))
		ej := envJSONOf(env)
		for range 50 {
			results := randResults(rng, env)
			failed := anyFailed(results)
			m := answerMeta{requestID: randString(rng), evaluatedAt: rng.Int64N(1 << 42), withConfig: rng.IntN(2) == 0,
				hasFlags: env.Engine.Len() > 0}
			for _, sh := range []shape{shapeFlagsV1, shapeFlagsV2, shapeDecideV1, shapeDecideV2} {
				var want bytes.Buffer
				if err := json.NewEncoder(&want).Encode(refShape(sh, env, failed, refCommon(m), results...)); err != nil {
					t.Fatal(err)
				}
				got, err := appendAnswer(nil, sh, ej, failed, m, results)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want.Bytes()) {
					t.Fatalf("env %d shape %d:\n got %s\nwant %s", e, sh, got, want.Bytes())
				}
				var pretty bytes.Buffer
				enc := json.NewEncoder(&pretty)
				enc.SetIndent("", "  ")
				_ = enc.Encode(refShape(sh, env, failed, refCommon(m), results...))
				if p := indent(got); !bytes.Equal(p, pretty.Bytes()) {
					t.Fatalf("env %d shape %d pretty:\n got %s\nwant %s", e, sh, p, pretty.Bytes())
				}
			}
			checkOFREP(t, env, ej, results)
		}
	}
}

func checkOFREP(t *testing.T, env *store.Env, ej *envJSON, results []eval.Result) {
	t.Helper()
	var all []any
	for i := range results {
		r := &results[i]
		want, err := json.Marshal(toOFREP(r, env))
		if err != nil {
			t.Fatal(err)
		}
		hint := 0
		got, failed := appendOFREP(nil, ej, r, &hint)
		if !bytes.Equal(got, want) || failed != r.Failed {
			t.Fatalf("OFREP %+v:\n got %s\nwant %s", r, got, want)
		}
		all = append(all, toOFREP(r, env))
	}
	want, _ := json.Marshal(ofrepBulk{Flags: append([]any{}, all...)})
	if got := appendOFREPBulk(nil, ej, results); !bytes.Equal(got, want) {
		t.Fatalf("OFREP bulk:\n got %s\nwant %s", got, want)
	}
}

// TestRenderRefusesInvalidPayload: a payload that is not JSON fails the answer, as encoding/json did.
func TestRenderRefusesInvalidPayload(t *testing.T) {
	f := flag.Flag{ID: 1, Key: "k", Active: true, Filters: flag.Filters{Groups: []flag.Condition{{}},
		Payloads: map[string]json.RawMessage{"true": json.RawMessage(`"unterminated`)}}}
	st := store.New()
	st.Apply(testSnapshot([]flag.Flag{f}, 1))
	env, _ := st.ByID(1)
	results := env.Engine.EvaluateAll(&eval.Context{DistinctID: "u"}, nil)
	if _, err := json.Marshal(refShape(shapeFlagsV2, env, false, common{}, results...)); err == nil {
		t.Fatal("encoding/json accepted the payload; the test no longer covers the error path")
	}
	for _, sh := range []shape{shapeFlagsV1, shapeFlagsV2} {
		if _, err := appendAnswer(nil, sh, envJSONOf(env), false, answerMeta{}, results); err == nil {
			t.Errorf("shape %d: no error for a payload that is not JSON", sh)
		}
	}
}

// TestAnswersCarryContentLength: small and large answers alike go out with Content-Length, not chunked.
func TestAnswersCarryContentLength(t *testing.T) {
	_, h := testServer(t)
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, c := range []struct{ path, body, auth string }{
		{"/ofrep/v1/evaluate/flags/bool-on", `{"context":{"targetingKey":"u"}}`, "Bearer " + testSDKKey},
		{"/ofrep/v1/evaluate/flags", `{"context":{"targetingKey":"u"}}`, "Bearer " + testSDKKey},
		{"/flags?v=2", `{"token":"` + testSDKKey + `","distinct_id":"u"}`, ""},
		{"/decide?v=1", `{"token":"` + testSDKKey + `","distinct_id":"u"}`, ""},
	} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+c.path, strings.NewReader(c.body))
		req.Header.Set("Content-Type", "application/json")
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.ContentLength != int64(len(b)) || len(resp.TransferEncoding) > 0 ||
			resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s: %d, Content-Length %d for %d bytes, Transfer-Encoding %v, Content-Type %q", c.path,
				resp.StatusCode, resp.ContentLength, len(b), resp.TransferEncoding, resp.Header.Get("Content-Type"))
		}
	}
}

func TestReasonCodesNeedNoEscaping(t *testing.T) {
	for _, code := range []string{eval.ReasonConditionMatch, eval.ReasonNoConditionMatch, eval.ReasonOutOfRolloutBound,
		eval.ReasonNoGroupType, eval.ReasonHoldoutConditionValue, eval.ReasonSuperConditionValue, eval.ReasonFlagDisabled,
		eval.ReasonMissingDependency, eval.ReasonDependencyNotFound, eval.ReasonDependencyCycle, eval.ReasonInvalidDefinition} {
		if got, want := string(appendReasonCode(nil, code)), string(appendJSONString(nil, code)); got != want {
			t.Errorf("reason code %q written as %s, encoding/json writes %s", code, got, want)
		}
	}
}
