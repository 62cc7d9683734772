package admin

import (
	"fmt"
	"testing"

	"github.com/halyard-flags/halyard/shared/flag"
)

// BenchmarkEvaluate10kFlags is one evaluate call on an environment of 10,000 flags, with and without a
// draft: the engine compiles every flag each time, and a draft validates the whole set twice.
//
//	go test -run '^$' -bench Evaluate10k -benchmem ./internal/admin/
func BenchmarkEvaluate10kFlags(b *testing.B) {
	defs := Definitions{Version: 1}
	for i := range 10_000 {
		defs.Flags = append(defs.Flags, parsedFlag(b, fmt.Sprintf(`{"id": %d, "key": "flag-%d", "active": true, "filters": {"groups": [
			{"properties": [{"key": "plan", "type": "person", "operator": "exact", "value": ["pro"]}], "rollout_percentage": 50}]}}`, i+1, i)))
	}
	person := map[string]any{"plan": "pro"}
	for _, bc := range []struct {
		name  string
		draft *FlagSpec
	}{
		{"stored", nil},
		{"draft", &FlagSpec{Flag: flag.Flag{Key: "flag-5000", Active: true, Filters: flag.Filters{Groups: []flag.Condition{{}}}}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Evaluate(defs, EvaluationRequest{DistinctID: "u1", PersonProperties: person, Draft: bc.draft}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
