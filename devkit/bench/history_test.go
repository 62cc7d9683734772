package bench

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestHistoryRunOfAndMarkdown(t *testing.T) {
	r := sampleReport()
	r.Scenarios[0].Loads[0].Name = "OFREP single flag"
	r.Scenarios = append(r.Scenarios, Scenario{ID: "7", Metrics: []Metric{{Name: "sustained rate, published and applied", Value: 1234}}})
	r.AddRatios()
	run := HistoryRunOf(r)
	want := map[string]float64{"s1.wrk.rps": 30000, "s1.wrk.ratio": 0.75, "s7.updates_per_s": 1234}
	if diff := cmp.Diff(want, run.Figures); diff != "" {
		t.Errorf("figures mismatch (-want +got):\n%s", diff)
	}
	h := &History{}
	h.Add(HistoryRun{Commit: "aaaaaaaaaaaaaaaa", CommitTitle: "before", When: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Figures: map[string]float64{"s1.wrk.ratio": 0.5}, Note: "by hand"})
	h.Add(run)
	h.Add(run) // the same commit again replaces its run
	if len(h.Runs) != 2 {
		t.Fatalf("%d runs, want 2", len(h.Runs))
	}
	md := h.Markdown(10)
	for _, s := range []string{"| `aaaaaaaaaaaa` before | 2026-01-01 00:00 | — | 50% |", "| 30000 | 75% |", "| 1234 |", "`aaaaaaaaaaaa`: by hand"} {
		if !strings.Contains(md, s) {
			t.Errorf("history lacks %q:\n%s", s, md)
		}
	}
}
