package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// Report is everything one run measured; it is written as docs/benchmarks.json and rendered as
// docs/benchmarks.md.
type Report struct {
	GeneratedAt time.Time         `json:"generated_at"`
	Commit      string            `json:"commit"`
	CommitTitle string            `json:"commit_title"`
	Dirty       bool              `json:"dirty"` // uncommitted changes in the work tree when it ran
	Machine     Machine           `json:"machine"`
	Mode        string            `json:"mode"` // "full" or "quick"
	Commands    []string          `json:"commands"`
	Settings    map[string]string `json:"settings"`
	Ceiling     []Load            `json:"ceiling"` // the reference handler, same tools and settings
	Scenarios   []Scenario        `json:"scenarios"`
	Summary     []string          `json:"summary,omitempty"` // the bottlenecks in one line each, with their numbers
	Findings    []Finding         `json:"findings,omitempty"`
	Duration    string            `json:"duration"`
	History     *History          `json:"-"` // rendered in the markdown; stored in its own file
}

// Machine describes where the run happened.
type Machine struct {
	NProc      int    `json:"nproc"`
	CPUModel   string `json:"cpu_model"`
	MemTotalMB int    `json:"mem_total_mb"`
	Kernel     string `json:"kernel"`
	Go         string `json:"go"`
	LoadAvg    string `json:"loadavg_at_start"`
}

// Scenario is what one numbered scenario (see Specs) measured.
type Scenario struct {
	ID      string   `json:"id"`
	Title   string   `json:"title"`
	Status  string   `json:"status"` // StatusOK, StatusNotAvailable, StatusError
	Note    string   `json:"note,omitempty"`
	Loads   []Load   `json:"loads,omitempty"`
	Metrics []Metric `json:"metrics,omitempty"`
	Targets []Target `json:"targets,omitempty"`
}

// Scenario statuses.
const (
	StatusOK           = "ok"
	StatusNotAvailable = "not available"
	StatusError        = "error"
)

// Load is one load run against one endpoint.
type Load struct {
	Name     string  `json:"name"`     // what was asked, e.g. "OFREP single flag"
	Tool     string  `json:"tool"`     // e.g. "wrk -t2 -c64 -d15s" or "open loop 2000/s 10s"
	Key      string  `json:"key"`      // tool + settings: loads with the same key are compared with the ceiling
	Requests uint64  `json:"requests"` // answered
	Errors   uint64  `json:"errors"`   // non-2xx and transport errors
	RPS      float64 `json:"rps"`
	P50      float64 `json:"p50_ms"`
	P90      float64 `json:"p90_ms"`
	P99      float64 `json:"p99_ms"`
	P999     float64 `json:"p999_ms"`
	Max      float64 `json:"max_ms"`
	// OthersCPU is the share of the machine's CPU that processes outside the harness (other engineers' builds
	// and tests) used during the run; Attempts > 1 when a noisy pair was measured again.
	OthersCPU float64 `json:"others_cpu_pct"`
	Attempts  int     `json:"attempts,omitempty"`
	// Ratios to the ceiling run with the same Key: RPS / ceiling RPS, latency / ceiling latency.
	RPSRatio *float64 `json:"rps_vs_ceiling,omitempty"`
	P50Ratio *float64 `json:"p50_vs_ceiling,omitempty"`
	P99Ratio *float64 `json:"p99_vs_ceiling,omitempty"`
}

// Metric is any other figure: a duration, a size, a rate.
type Metric struct {
	Name  string   `json:"name"`
	Value float64  `json:"value"`
	Unit  string   `json:"unit"`
	Ratio *float64 `json:"vs_ceiling,omitempty"` // see Report notes: a figure scaled by the ceiling's speed
}

// Target is one target of a scenario (see Specs), checked.
type Target struct {
	What     string `json:"what"`
	Goal     string `json:"goal"`
	Measured string `json:"measured"`
	Met      bool   `json:"met"`
}

// Finding is a bottleneck with its evidence.
type Finding struct {
	Title    string `json:"title"`
	Evidence string `json:"evidence"` // profile excerpt
	Owner    string `json:"owner"`
	Advice   string `json:"advice"`
}

// AddRatios fills every load's ratios from the ceiling load with the same key.
func (r *Report) AddRatios() {
	ceil := map[string]Load{}
	for _, c := range r.Ceiling {
		ceil[c.Key] = c
	}
	for i := range r.Scenarios {
		for j := range r.Scenarios[i].Loads {
			l := &r.Scenarios[i].Loads[j]
			c, ok := ceil[l.Key]
			if !ok {
				continue
			}
			l.RPSRatio, l.P50Ratio, l.P99Ratio = ratio(l.RPS, c.RPS), ratio(l.P50, c.P50), ratio(l.P99, c.P99)
		}
	}
}

func ratio(a, b float64) *float64 {
	if b == 0 || math.IsNaN(a) || math.IsNaN(b) {
		return nil
	}
	v := math.Round(a/b*1000) / 1000
	return &v
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteMarkdown renders the report for docs/benchmarks.md.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# Benchmarks\n\n")
	p("Written by `make bench` (`devkit/cmd/halyard-bench`); do not edit by hand. The same figures are in\n")
	p("`docs/benchmarks.json`. The scenarios and their targets are listed under \"Scenarios and targets\".\n\n")
	p("- **When:** %s (%s mode, run took %s)\n", r.GeneratedAt.UTC().Format(time.RFC3339), r.Mode, r.Duration)
	dirty := ""
	if r.Dirty {
		dirty = " (with uncommitted changes)"
	}
	p("- **Commit:** `%s` %s%s\n", short(r.Commit), r.CommitTitle, dirty)
	m := r.Machine
	p("- **Machine:** %d CPUs (`nproc`), %s, %d MB RAM, %s, %s; load average at start %s\n", m.NProc, m.CPUModel,
		m.MemTotalMB, m.Kernel, m.Go, m.LoadAvg)
	p("- **Caveat:** the load generator, the cluster (NATS, PostgreSQL, writer, 3 evaluators) and other engineers'\n")
	p("  test runs share these cores. Absolute figures are noisy; compare the *ratios to the ceiling* measured in\n")
	p("  the same run, and compare runs only through those ratios. The *others' CPU* column is the share of the\n")
	p("  machine that processes outside the harness used during each measurement; a pair where it passed\n")
	p("  BENCH_NOISY was measured again (a few times per run) and the quieter attempt kept.\n\n")
	p("Commands:\n\n```sh\n")
	for _, c := range r.Commands {
		p("%s\n", c)
	}
	p("```\n\n")
	if len(r.Settings) > 0 {
		p("Settings: %s\n\n", settingsLine(r.Settings))
	}
	p("%s\n", specsMarkdown())
	p("## Targets\n\n| scenario | what | target | measured | met |\n|---|---|---|---|---|\n")
	for _, s := range r.Scenarios {
		if len(s.Targets) == 0 {
			p("| %s | %s | | %s | — |\n", s.ID, s.Title, statusText(s))
		}
		for _, t := range s.Targets {
			p("| %s | %s | %s | %s | %s |\n", s.ID, t.What, t.Goal, t.Measured, yesNo(t.Met))
		}
	}
	p("\n## Reference ceiling\n\nA minimal `net/http` handler (`halyard-bench ceiling`, its own process) that decodes a /flags?v=2 JSON\n")
	p("body into a `map[string]any` and writes a small JSON answer. It runs *right before each load* with the same\n")
	p("tool and settings, and every HTTP figure is also given as a ratio to its paired ceiling run (throughput:\n")
	p("share of the ceiling; latency: times the ceiling's), so both see the same machine.\n\n")
	loadTable(&b, r.Ceiling, false)
	for _, s := range r.Scenarios {
		p("\n## %s. %s\n\n", s.ID, s.Title)
		if s.Status != StatusOK {
			p("**%s.** ", statusText(s))
		}
		if s.Note != "" {
			p("%s\n\n", s.Note)
		} else if s.Status != StatusOK {
			p("\n\n")
		}
		if len(s.Loads) > 0 {
			loadTable(&b, s.Loads, true)
			p("\n")
		}
		if len(s.Metrics) > 0 {
			p("| metric | value |\n|---|---|\n")
			for _, mt := range s.Metrics {
				p("| %s | %s %s |\n", mt.Name, num(mt.Value), mt.Unit)
			}
			p("\n")
		}
	}
	if r.History != nil {
		p("%s\n", r.History.Markdown(12))
	}
	if len(r.Summary) > 0 {
		p("## Summary\n\n")
		for _, line := range r.Summary {
			p("- %s\n", line)
		}
		p("\nThe evidence (perf profiles of the real binaries, in-process measurements) is below.\n\n")
	}
	if len(r.Findings) > 0 {
		p("## Bottlenecks found\n\n")
		for i, f := range r.Findings {
			p("### %d. %s\n\nOwner: %s. %s\n\n```\n%s\n```\n\n", i+1, f.Title, f.Owner, f.Advice, strings.TrimRight(f.Evidence, "\n"))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func loadTable(b *strings.Builder, loads []Load, ratios bool) {
	if ratios {
		b.WriteString("| load | tool | req/s | × ceiling | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | p99 × ceiling | errors | others' CPU |\n")
		b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	} else {
		b.WriteString("| load | tool | req/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | errors | others' CPU |\n|---|---|---|---|---|---|---|---|---|---|\n")
	}
	for _, l := range loads {
		if ratios {
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d | %s |\n", l.Name, l.Tool, num(l.RPS), pct(l.RPSRatio),
				ms(l.P50), ms(l.P90), ms(l.P99), ms(l.P999), ms(l.Max), times(l.P99Ratio), l.Errors, noise(l))
		} else {
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s | %d | %s |\n", l.Name, l.Tool, num(l.RPS),
				ms(l.P50), ms(l.P90), ms(l.P99), ms(l.P999), ms(l.Max), l.Errors, noise(l))
		}
	}
}

func noise(l Load) string {
	s := fmt.Sprintf("%.0f%%", l.OthersCPU)
	if l.Attempts > 1 {
		s += fmt.Sprintf(" (best of %d)", l.Attempts)
	}
	return s
}

func statusText(s Scenario) string {
	if s.Status == StatusOK {
		return "measured"
	}
	return s.Status
}

func settingsLine(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("`%s=%s`", k, m[k])
	}
	return strings.Join(parts, " ")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "**no**"
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

func num(v float64) string {
	switch {
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 100:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.3f", v)
	}
}

func ms(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	if v >= 10 {
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func pct(r *float64) string {
	if r == nil {
		return "—"
	}
	return fmt.Sprintf("%.0f%%", *r*100)
}

func times(r *float64) string {
	if r == nil {
		return "—"
	}
	return fmt.Sprintf("%.2f×", *r)
}
