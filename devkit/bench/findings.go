package bench

import (
	"fmt"
	"strconv"
	"strings"
)

func (r *Runner) keepProfile(p *Profile) {
	if p != nil {
		r.profiles = append(r.profiles, p)
	}
}

// findings turns the profiles into bottleneck reports for the owners: what dominates the evaluator's CPU under
// wrk, compared with what the ceiling needs for the same request.
func (r *Runner) findings() []Finding {
	var out []Finding
	for _, p := range r.profiles {
		var kinds []string
		for _, c := range p.Classes {
			if c.Percent >= 5 {
				kinds = append(kinds, fmt.Sprintf("%s %.0f%%", c.Name, c.Percent))
			}
		}
		f := Finding{Title: "Evaluator CPU under " + r.profileWrk().String() + " (an extra run, not measured): " + p.Label, Evidence: p.Text(), Owner: "evaluator (services/evaluator/internal/httpapi) and engine (shared/eval)"}
		f.Advice = "Where the CPU goes: " + strings.Join(kinds, ", ") + ". " + advice(p)
		out = append(out, f)
	}
	if sp := r.writerProfile; sp != nil {
		var b strings.Builder
		b.WriteString("-- whole machine, by process --\n")
		for _, p := range sp.ByProcess {
			fmt.Fprintf(&b, "%6.1f%%  %s\n", p.Percent, p.Name)
		}
		b.WriteString(r.writerWaits)
		if sp.Focus != nil {
			b.WriteString(sp.Focus.Text())
		}
		out = append(out, Finding{Title: "Writer under sustained PATCHes (scenario 7, an extra load, not measured): machine-wide CPU", Evidence: b.String(),
			Owner: "writer (services/writer)", Advice: writerAdvice(r.writerWaits, sp, r.writerPerCommit)})
	}
	if r.Cfg.wants("2") || r.Cfg.wants("3") {
		r.logf("in process: engine and response encoding of /flags?v=2 for 50 and 1,000 flags")
		var costs []EncodingCost
		for _, n := range []int{50, 1000} {
			reps, benchtime := 5, "300ms"
			if r.Cfg.Quick {
				reps, benchtime = 2, "100ms"
			}
			c, err := MeasureV2Encoding(n, reps, benchtime)
			if err != nil {
				r.logf("encoding comparison: %v", err)
				break
			}
			costs = append(costs, c...)
		}
		r.encoding = costs
		if len(costs) > 0 {
			out = append(out, Finding{Title: "/flags?v=2: engine vs response encoding, in process", Evidence: costTable(costs),
				Owner: "evaluator (services/evaluator/internal/httpapi/flags.go writeShape)",
				Advice: "The same results encoded two ways (devkit/bench/encoding.go; the appender's output is byte-for-byte " +
					"encoding/json's, checked by a test): a map[string]flagDetail through encoding/json, as the evaluator " +
					"encoded /flags until d243af1 (reflection over every field, pointer fields allocated per flag, map keys " +
					"sorted on every response), and an appender into a reused buffer, which the engine's sorted result order " +
					"makes byte-identical. It is the reference for what any encoding in the evaluator should cost next to " +
					"the engine."})
		}
	}
	if r.snapshotProfile != "" {
		out = append(out, Finding{Title: "Snapshot decode + compile (in process)", Evidence: r.snapshotProfile,
			Owner: "shared/wire and shared/eval", Advice: "CPU profile of wire.Decode followed by eval.Compile on the scenario 6 snapshot."})
	}
	return out
}

func advice(p *Profile) string {
	var a []string
	json := p.Share("encoding/json (request decode, response encode, reflection, key sorting)")
	gc := p.Share("garbage collection") + p.Share("allocation")
	eng := p.Share("evaluation engine (sha1, matching)")
	kernel := p.Share("kernel (TCP, syscalls, scheduling)")
	if json >= 15 {
		a = append(a, fmt.Sprintf("encoding/json is %.0f%% of the CPU: encode the response with a hand-written appender into a pooled buffer "+
			"(keys, booleans, reason codes and payloads are known bytes) instead of reflection through echo's c.JSON, and decode the body "+
			"into a typed struct with a streaming decoder.", json))
	}
	if gc >= 15 {
		a = append(a, fmt.Sprintf("allocation and GC are %.0f%%: per request the handler builds a map of per-flag structs, pointer fields "+
			"and a result slice; reuse pooled result slices (EvaluateAll(ctx, dst) already takes one) and write the response without "+
			"the intermediate map.", gc))
	}
	if eng >= 15 {
		a = append(a, fmt.Sprintf("the engine itself is %.0f%% (sha1 hashing and matching): expected for many flags per request.", eng))
	}
	if kernel >= 40 {
		a = append(a, fmt.Sprintf("the kernel is %.0f%%: the network round trip dominates, as in the ceiling; little left to gain in Go code.", kernel))
	}
	if len(a) == 0 {
		return "No single dominant cost."
	}
	return strings.Join(a, " ")
}

func writerAdvice(waits string, sp *SystemProfile, perCommit float64) string {
	var procs []string
	for _, p := range sp.ByProcess {
		if p.Percent >= 5 {
			procs = append(procs, fmt.Sprintf("%s %.0f%%", p.Name, p.Percent))
		}
	}
	w := parseWaits(waits)
	a := "CPU by process while the admin clients PATCH flags (percentages of the whole machine): " + strings.Join(procs, ", ") + ". " +
		"Writer sessions in PostgreSQL: " + w.String() + ". Every change of an environment bumps the environment's " +
		"version, and that row lock is held until commit so versions are dense and in commit order (ADR 0002); single-flag " +
		"edits that wait meanwhile are committed together, one version and one WAL flush per group (ADR 0007)"
	if perCommit > 0 {
		a += fmt.Sprintf(": %.1f edits per commit in this run", perCommit)
	}
	a += "."
	if sp.Focus != nil {
		if v := sp.Focus.ShareSuffix("postgres.problemsOf") + sp.Focus.ShareSuffix("postgres.refuseNewProblems"); v >= 2 {
			a += fmt.Sprintf(" Whole-environment validation (problemsOf, refuseNewProblems) is %.0f%% of the machine's CPU; it "+
				"runs under the lock, and grows with the environment.", v)
		}
	}
	switch {
	case !w.seen:
	case w.lock >= 15:
		a += " Sessions queue on the row lock: the lock bounds the rate; what can raise it is holding it for less (fewer " +
			"statements after the bump) or larger groups."
	case w.clientRead >= 50:
		a += fmt.Sprintf(" Sessions mostly wait for the writer (%.0f%% idle in ClientRead), not on the lock: the rate is bound by "+
			"the CPU of the processes above (on this machine they share 2 cores with the load generator), not by the row lock.", w.clientRead)
	}
	return a
}

// waits is the sampled PostgreSQL session table summed by what a session waited for (percent of samples).
type waits struct {
	lock, wal, idleTx, clientRead float64
	seen                          bool
}

func parseWaits(table string) waits {
	var w waits
	for _, line := range strings.Split(table, "\n") {
		pct, what, ok := strings.Cut(strings.TrimSpace(line), "%")
		v, err := strconv.ParseFloat(pct, 64)
		if !ok || err != nil {
			continue
		}
		w.seen = true
		what = strings.TrimSpace(what)
		switch {
		case strings.Contains(what, "Lock:transactionid"), strings.Contains(what, "Lock:tuple"):
			w.lock += v
		case strings.Contains(what, "IO:WALSync"), strings.Contains(what, "IO:WALWrite"):
			w.wal += v
		case strings.HasPrefix(what, "idle in transaction"):
			w.idleTx += v
		case what == "idle / Client:ClientRead":
			w.clientRead += v
		}
	}
	return w
}

func (w waits) String() string {
	if !w.seen {
		return "not sampled"
	}
	return fmt.Sprintf("%.0f%% of samples waiting for another transaction's row lock, %.0f%% flushing WAL at commit, "+
		"%.0f%% idle in transaction (waiting for the writer process between statements)", w.lock, w.wal, w.idleTx)
}

// summary states each bottleneck in one line with the numbers that show it, for the top of the report.
func (r *Runner) summary() []string {
	var out []string
	for _, p := range r.profiles {
		l, ok := r.loadNamed(p.Label)
		if !ok {
			continue
		}
		line := fmt.Sprintf("**%s**: %s req/s with wrk", p.Label, thousands(l.RPS))
		if l.RPSRatio != nil {
			line += fmt.Sprintf(" (%.0f%% of the ceiling)", *l.RPSRatio*100)
		}
		line += fmt.Sprintf(", p99 %s ms. Evaluator CPU (perf): echo and the handler %.0f%%", ms(l.P99), p.Share("github.com/labstack/echo/v4.(*Echo).ServeHTTP"))
		if w := p.ShareSuffix("httpapi.writeShape") + p.ShareSuffix("httpapi.writeJSON"); w > 0 {
			line += fmt.Sprintf(", of which writing the response %.0f%% (encoding/json map encoding alone %.0f%%)", w, p.Share("encoding/json.mapEncoder.encode"))
		}
		if c := p.ShareSuffix("httpapi.ofrepContext"); c > 0 {
			line += fmt.Sprintf(", parsing the OFREP context %.0f%%", c)
		}
		eng := p.ShareSuffix("eval.(*Engine).EvaluateAll") + p.ShareSuffix("eval.(*Engine).EvaluateKeys") + p.ShareSuffix("eval.(*Engine).Evaluate")
		line += fmt.Sprintf("; the engine %.0f%%; GC and allocation %.0f%% (leaf samples); kernel %.0f%%.", eng,
			p.Share("garbage collection")+p.Share("allocation"), p.Share("kernel (TCP, syscalls, scheduling)"))
		out = append(out, line)
	}
	if c := r.encoding; len(c) >= 8 {
		out = append(out, fmt.Sprintf("**Response encoding, in process**: a /flags?v=2 answer of 1,000 flags takes %.0f µs and %d allocations "+
			"to encode with encoding/json over a map (the evaluator's way until d243af1), %.0f µs and %d with an appender writing the same "+
			"bytes; the engine needs %.0f µs. For 50 flags: %.0f µs vs %.0f µs, engine %.0f µs.",
			us(c[5].NsPerOp), c[5].AllocsPerOp, us(c[6].NsPerOp), c[6].AllocsPerOp, us(c[4].NsPerOp), us(c[1].NsPerOp), us(c[2].NsPerOp), us(c[0].NsPerOp)))
	}
	if m, ok := r.metric("4", "idle: of which PATCH ack → snapshot on NATS p50 / p99"); ok {
		n, _ := r.metric("4", "idle: of which snapshot on NATS → all 3 answer p50 / p99")
		all, _ := r.metric("4", "idle: all 3 evaluators p99")
		where := "the writer's publisher (wake-up on NOTIFY, advisory lock, re-reading the environment, the last-message lookup " +
			"before each publish), not the evaluators"
		if n.Value > m.Value {
			where = "the evaluators (decode, compile, swap), not the writer"
		}
		out = append(out, fmt.Sprintf("**Propagation** (idle, all 3 evaluators p99 %.1f ms): PATCH ack → snapshot on NATS p50 %.1f %s; snapshot on NATS → "+
			"all 3 evaluators answer p50 %.1f %s. Most of the time is in %s.", all.Value, m.Value, m.Unit, n.Value, n.Unit, where))
	}
	if m, ok := r.metric("7", "sustained rate, published and applied"); ok && r.writerWaits != "" {
		line := fmt.Sprintf("**Writer**: %.0f updates/s sustained by %d clients on one environment; sessions: %s", m.Value,
			min(r.Cfg.WriterConc, 50), parseWaits(r.writerWaits))
		if sp := r.writerProfile; sp != nil && sp.Focus != nil {
			if v := sp.Focus.ShareSuffix("postgres.problemsOf") + sp.Focus.ShareSuffix("postgres.refuseNewProblems"); v >= 2 {
				line += fmt.Sprintf("; whole-environment validation under the lock (problemsOf + refuseNewProblems) is %.0f%% of the machine's CPU", v)
			}
			line += fmt.Sprintf("; the PATCH handler is %.0f%% of the machine's CPU", sp.Focus.ShareSuffix("httpapi.(*Server).patchFlag"))
		}
		if r.writerPerCommit > 0 {
			line += fmt.Sprintf("; %.1f edits per commit (group commit, ADR 0007)", r.writerPerCommit)
		}
		out = append(out, line+" (see the writer finding).")
	}
	return out
}

func us(ns int64) float64 { return float64(ns) / 1000 }

func (r *Runner) loadNamed(name string) (Load, bool) {
	for _, s := range r.Report.Scenarios {
		for _, l := range s.Loads {
			if l.Name == name && strings.HasPrefix(l.Tool, "wrk") {
				return l, true
			}
		}
	}
	return Load{}, false
}

func (r *Runner) metric(scenario, name string) (Metric, bool) {
	for _, s := range r.Report.Scenarios {
		if s.ID != scenario {
			continue
		}
		for _, m := range s.Metrics {
			if m.Name == name {
				return m, true
			}
		}
	}
	return Metric{}, false
}
