package eval

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	posthog "github.com/posthog/posthog-go"
)

// These consistency tests check the engine against two oracles it shares no code with: posthog-go's own
// local evaluation (the SDK PostHog publishes), and a reference written straight from the published
// rule (hex digits parsed with strconv, boundaries summed in a plain loop).

const oracleFlags = `{"flags":[
 {"id":1,"key":"bool-45","active":true,"filters":{"groups":[{"properties":[],"rollout_percentage":45}]}},
 {"id":2,"key":"five-55","active":true,"filters":{"groups":[{"properties":[],"rollout_percentage":55}],
  "multivariate":{"variants":[{"key":"a","rollout_percentage":20},{"key":"b","rollout_percentage":20},{"key":"c","rollout_percentage":20},{"key":"d","rollout_percentage":20},{"key":"e","rollout_percentage":20}]}}}
],"group_type_mapping":{},"cohorts":{}}`

func posthogClient(tb testing.TB) posthog.Client {
	tb.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/feature_flag/local_evaluation") {
			w.Write([]byte(oracleFlags))
			return
		}
		http.Error(w, "local evaluation only", http.StatusNotFound)
	}))
	tb.Cleanup(srv.Close)
	c, err := posthog.NewWithConfig("phc_test", posthog.Config{PersonalApiKey: "phx_test", Endpoint: srv.URL, Logger: quietLogger{}})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

type quietLogger struct{}

func (quietLogger) Debugf(string, ...any) {}
func (quietLogger) Logf(string, ...any)   {}
func (quietLogger) Warnf(string, ...any)  {}
func (quietLogger) Errorf(string, ...any) {}

// referenceHash is the rule as published, written independently of hash().
func referenceHash(s string) float64 {
	sum := sha1.Sum([]byte(s))
	n, _ := strconv.ParseUint(hex.EncodeToString(sum[:])[:15], 16, 64)
	return float64(n) / float64(0xFFFFFFFFFFFFFFF)
}

func referenceValue(key, id string, pct float64, variants []float64, names string) any {
	if referenceHash(key+"."+id) > pct/100 {
		return false
	}
	if len(variants) == 0 {
		return true
	}
	h, cum := referenceHash(key+"."+id+"variant"), 0.0
	for i, w := range variants {
		cum += w / 100
		if h < cum {
			return names[i : i+1]
		}
	}
	return true
}

func engineValue(r Result) any {
	switch {
	case !r.Enabled:
		return false
	case r.Variant != "":
		return r.Variant
	}
	return true
}

func TestConsistencyWithPostHogGo(t *testing.T) {
	le := mustLocalEvaluation(t, oracleFlags)
	e := Compile(Definitions{Flags: le.Flags, GroupTypes: le.GroupTypes})
	client := posthogClient(t)
	n := 2000
	if testing.Short() {
		n = 300
	}
	counts := map[string]map[any]int{"bool-45": {}, "five-55": {}}
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("user-%d-%x", i, i*7919)
		for _, key := range []string{"bool-45", "five-55"} {
			got := engineValue(evalOne(t, e, key, &Context{DistinctID: id}))
			sdk, err := client.GetFeatureFlag(posthog.FeatureFlagPayload{Key: key, DistinctId: id, OnlyEvaluateLocally: true})
			if err != nil {
				t.Fatalf("posthog-go %s/%s: %v", key, id, err)
			}
			var ref any
			if key == "bool-45" {
				ref = referenceValue(key, id, 45, nil, "")
			} else {
				ref = referenceValue(key, id, 55, []float64{20, 20, 20, 20, 20}, "abcde")
			}
			if got != sdk || got != ref {
				t.Fatalf("%s for %s: engine %v, posthog-go %v, reference %v", key, id, got, sdk, ref)
			}
			counts[key][got]++
		}
	}
	// Sanity: the split is roughly the configured one (a broken hash would skew it).
	if on := float64(counts["bool-45"][true]) / float64(n); on < 0.40 || on > 0.50 {
		t.Errorf("bool-45 enabled for %.3f of ids", on)
	}
	t.Logf("bool-45 %v, five-55 %v", counts["bool-45"], counts["five-55"])
}
