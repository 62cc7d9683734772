package bench

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func sampleReport() *Report {
	return &Report{
		GeneratedAt: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC), Commit: "0123456789abcdef", CommitTitle: "a commit",
		Machine: Machine{NProc: 2, CPUModel: "Test CPU", MemTotalMB: 1024}, Mode: "quick",
		Commands: []string{"BENCH_QUICK=1 make bench"},
		Ceiling: []Load{
			{Name: "ceiling", Tool: "wrk -t2 -c64 -d15s", Key: "wrk -t2 -c64 -d15s", RPS: 40000, P50: 1, P99: 4},
			{Name: "ceiling", Tool: "open loop 100/s 1s", Key: "open loop 100/s 1s", RPS: 100, P50: 0.5, P99: 1},
		},
		Scenarios: []Scenario{
			{ID: "1", Title: "OFREP single flag", Status: StatusOK,
				Loads: []Load{
					{Name: "OFREP", Tool: "wrk -t2 -c64 -d15s", Key: "wrk -t2 -c64 -d15s", RPS: 30000, P50: 2, P99: 6},
					{Name: "OFREP", Tool: "open loop 100/s 1s", Key: "open loop 100/s 1s", RPS: 100, P50: 1, P99: 3},
				},
				Targets: []Target{{What: "OFREP vs ceiling", Goal: "≥ 75% of the ceiling", Measured: "ceiling:0.75"}}},
			{ID: "3", Title: "big env", Status: StatusNotAvailable, Note: "no such route"},
			{ID: "6", Title: "snapshot", Status: StatusOK, Metrics: []Metric{{Name: "encode", Value: 12.5, Unit: "ms"}},
				Targets: []Target{{What: "encode", Goal: "≤ 50 ms", Measured: "12.50 ms", Met: true}}},
		},
	}
}

func TestAddRatiosComparesLoadsWithTheSameTool(t *testing.T) {
	r := sampleReport()
	r.AddRatios()
	got := r.Scenarios[0].Loads
	want := [][3]float64{{0.75, 2, 1.5}, {1, 2, 3}}
	for i, w := range want {
		if got[i].RPSRatio == nil || got[i].P50Ratio == nil || got[i].P99Ratio == nil {
			t.Fatalf("load %d has no ratios", i)
		}
		if diff := cmp.Diff(w, [3]float64{*got[i].RPSRatio, *got[i].P50Ratio, *got[i].P99Ratio}); diff != "" {
			t.Errorf("load %d ratios mismatch (-want +got):\n%s", i, diff)
		}
	}
	runner := &Runner{Report: r}
	runner.finishTargets()
	if tg := r.Scenarios[0].Targets[0]; !tg.Met || !strings.HasPrefix(tg.Measured, "75% (30,000 of 40,000 req/s)") {
		t.Errorf("ceiling target = %+v", tg)
	}
}

func TestWriteMarkdown(t *testing.T) {
	r := sampleReport()
	r.AddRatios()
	var b bytes.Buffer
	if err := r.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, want := range []string{
		"`0123456789ab` a commit",
		"2 CPUs (`nproc`), Test CPU, 1024 MB RAM",
		"BENCH_QUICK=1 make bench",
		"| 6 | encode | ≤ 50 ms | 12.50 ms | yes |",
		"| 3 | big env | | not available | — |",
		"| OFREP | wrk -t2 -c64 -d15s | 30000 | 75% | 2.00 | 0.00 | 6.00 | 0.00 | 0.00 | 1.50× | 0 | 0% |",
		"| ceiling | open loop 100/s 1s | 100 | 0.50 |",
		"## 3. big env\n\n**not available.** no such route",
		"| encode | 12.50 ms |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

func TestWriteJSONRoundTrips(t *testing.T) {
	r := sampleReport()
	r.AddRatios()
	var b bytes.Buffer
	if err := r.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r, &back); diff != "" {
		t.Errorf("round trip mismatch (-want +got):\n%s", diff)
	}
}

func TestParseWrk(t *testing.T) {
	out := "Running 1s test @ http://x\n  2 threads and 64 connections\n" +
		`BENCHJSON {"requests":3000,"duration_us":1500000,"status_errors":2,"socket_errors":1,"p50":1500,"p90":2500,"p99":9000,"p999":12000,"max":20000}` + "\n"
	l, err := parseWrk(out)
	if err != nil {
		t.Fatal(err)
	}
	want := Load{Requests: 3000, Errors: 3, RPS: 2000, P50: 1.5, P90: 2.5, P99: 9, P999: 12, Max: 20}
	if diff := cmp.Diff(want, l); diff != "" {
		t.Errorf("parseWrk mismatch (-want +got):\n%s", diff)
	}
	if _, err := parseWrk("no summary"); err == nil {
		t.Error("parseWrk accepted output without a summary")
	}
}

func TestClassifyAndPerfLine(t *testing.T) {
	for sym, want := range map[string]string{
		"encoding/json.structEncoder.encode":                                 "encoding/json (request decode, response encode, reflection, key sorting)",
		"runtime.scanobject":                                                 "garbage collection",
		"runtime.mallocgcSmallScanNoHeader":                                  "allocation",
		"[kernel] tcp_sendmsg_locked":                                        "kernel (TCP, syscalls, scheduling)",
		"github.com/halyard-flags/halyard/shared/eval.(*Engine).EvaluateAll": "evaluation engine (sha1, matching)",
	} {
		if got := classify(sym); got != want {
			t.Errorf("classify(%q) = %q, want %q", sym, got, want)
		}
	}
	m := perfLine.FindStringSubmatch("     5.10%  [k] _raw_spin_unlock_irqrestore        -      -")
	if m == nil || m[1] != "5.10" || m[2] != "k" || trailingDashes.ReplaceAllString(m[3], "") != "_raw_spin_unlock_irqrestore" {
		t.Errorf("perfLine match = %q", m)
	}
}

func TestParseWaits(t *testing.T) {
	waits := "-- header --\n  36.3%  active / Lock:transactionid\n  25.8%  idle / Client:ClientRead\n   3.0%  active / Lock:tuple\n" +
		"   6.3%  active / IO:WALSync\n   5.8%  idle in transaction / Client:ClientRead\n   5.1%  idle in transaction\n"
	want := "39% of samples waiting for another transaction's row lock, 6% flushing WAL at commit, 11% idle in transaction (waiting for the writer process between statements)"
	if got := parseWaits(waits).String(); got != want {
		t.Errorf("parseWaits =\n%s\nwant\n%s", got, want)
	}
}
