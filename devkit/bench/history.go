package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"
)

// History is docs/benchmarks-history.json: the headline figures of every full run, so the report can show
// before and after when the evaluator, engine or writer change. Quick runs are not recorded.
type History struct {
	Runs []HistoryRun `json:"runs"`
}

// HistoryRun is one full run's headline figures.
type HistoryRun struct {
	Commit      string             `json:"commit"`
	CommitTitle string             `json:"commit_title"`
	When        time.Time          `json:"when"`
	Note        string             `json:"note,omitempty"`
	Figures     map[string]float64 `json:"figures"`
}

// historyColumns are the figures the history table shows, in order.
var historyColumns = []struct{ key, title string }{
	{"s1.wrk.rps", "1 OFREP req/s"}, {"s1.wrk.ratio", "1 × ceiling"},
	{"s2.bulk.wrk.rps", "2 bulk req/s"}, {"s2.bulk.wrk.ratio", "2 bulk × ceiling"},
	{"s2.flags.wrk.rps", "2 /flags req/s"}, {"s2.flags.wrk.ratio", "2 /flags × ceiling"},
	{"s3.wrk.rps", "3 req/s"}, {"s3.wrk.ratio", "3 × ceiling"},
	{"s4.idle.p50", "4 p50 ms"}, {"s4.idle.p99", "4 p99 ms"}, {"s4.load.p99", "4 p99 loaded ms"},
	{"s5.ready_ms", "5 ready ms"}, {"s5.rss_mib", "5 RSS MiB"},
	{"s6.encode_ms", "6 encode ms"}, {"s6.decode_compile_ms", "6 dec+compile ms"},
	{"s7.updates_per_s", "7 updates/s"},
}

// HistoryRunOf extracts the headline figures of a report.
func HistoryRunOf(r *Report) HistoryRun {
	h := HistoryRun{Commit: r.Commit, CommitTitle: r.CommitTitle, When: r.GeneratedAt, Figures: map[string]float64{}}
	loadKeys := map[string]string{"OFREP single flag": "s1", "OFREP bulk, 50 flags": "s2.bulk", "/flags?v=2, 50 flags": "s2.flags", "/flags?v=2, 1,000 flags": "s3"}
	metricKeys := map[string]string{
		"idle: all 3 evaluators p50": "s4.idle.p50", "idle: all 3 evaluators p99": "s4.idle.p99", "under load: all 3 evaluators p99": "s4.load.p99",
		"process start → /readyz 200 (median)": "s5.ready_ms", "RSS 2 s after ready (max of runs)": "s5.rss_mib",
		"encode (fastest run)": "s6.encode_ms", "decode + compile (fastest runs)": "s6.decode_compile_ms", "sustained rate, published and applied": "s7.updates_per_s",
	}
	for _, s := range r.Scenarios {
		for _, l := range s.Loads {
			if k, ok := loadKeys[l.Name]; ok && strings.HasPrefix(l.Tool, "wrk") {
				h.Figures[k+".wrk.rps"] = l.RPS
				if l.RPSRatio != nil {
					h.Figures[k+".wrk.ratio"] = *l.RPSRatio
				}
			}
		}
		for _, m := range s.Metrics {
			if k, ok := metricKeys[m.Name]; ok {
				h.Figures[k] = m.Value
			}
		}
	}
	return h
}

// ReadHistory reads path; a missing file is an empty history.
func ReadHistory(path string) (*History, error) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return &History{}, nil
	}
	if err != nil {
		return nil, err
	}
	var h History
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &h, nil
}

// Add appends run, replacing an earlier run of the same commit.
func (h *History) Add(run HistoryRun) {
	for i, r := range h.Runs {
		if r.Commit == run.Commit {
			h.Runs = append(h.Runs[:i], h.Runs[i+1:]...)
			break
		}
	}
	h.Runs = append(h.Runs, run)
}

// Markdown renders the last n runs as a table, oldest first.
func (h *History) Markdown(n int) string {
	runs := h.Runs
	if len(runs) > n {
		runs = runs[len(runs)-n:]
	}
	if len(runs) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("## History\n\nHeadline figures of the full runs recorded in `docs/benchmarks-history.json` (oldest first). Throughput\n")
	b.WriteString("is wrk's; \"× ceiling\" is the share of the ceiling run paired with it, the figure to compare across runs.\n\n")
	b.WriteString("| commit | when |")
	for _, c := range historyColumns {
		b.WriteString(" " + c.title + " |")
	}
	b.WriteString("\n|---|---|" + strings.Repeat("---|", len(historyColumns)) + "\n")
	for _, r := range runs {
		fmt.Fprintf(&b, "| `%s` %s | %s |", short(r.Commit), r.CommitTitle, r.When.UTC().Format("2006-01-02 15:04"))
		for _, c := range historyColumns {
			v, ok := r.Figures[c.key]
			switch {
			case !ok:
				b.WriteString(" — |")
			case strings.HasSuffix(c.key, ".ratio"):
				fmt.Fprintf(&b, " %.0f%% |", v*100)
			default:
				fmt.Fprintf(&b, " %s |", num(v))
			}
		}
		b.WriteString("\n")
	}
	for _, r := range runs {
		if r.Note != "" {
			fmt.Fprintf(&b, "\n`%s`: %s\n", short(r.Commit), r.Note)
		}
	}
	return b.String()
}
