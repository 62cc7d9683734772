package bench

import (
	"fmt"
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
		f := Finding{Title: "Evaluator CPU under " + r.Cfg.Wrk.String() + ": " + p.Label, Evidence: p.Text(), Owner: "evaluator (services/evaluator/internal/httpapi) and engine (shared/eval)"}
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
		out = append(out, Finding{Title: "Writer under sustained PATCHes (scenario 7): machine-wide CPU", Evidence: b.String(),
			Owner: "writer (services/writer)", Advice: writerAdvice(r.Report, sp)})
	}
	if r.Cfg.wants("2") || r.Cfg.wants("3") {
		r.logf("in process: engine and response encoding of /flags?v=2 for 50 and 1,000 flags")
		var costs []EncodingCost
		for _, n := range []int{50, 1000} {
			c, err := MeasureV2Encoding(n)
			if err != nil {
				r.logf("encoding comparison: %v", err)
				break
			}
			costs = append(costs, c...)
		}
		if len(costs) > 0 {
			out = append(out, Finding{Title: "/flags?v=2: engine vs response encoding, in process", Evidence: costTable(costs),
				Owner: "evaluator (services/evaluator/internal/httpapi/flags.go writeShape)",
				Advice: "The same results encoded two ways (devkit/bench/encoding.go; the appender's output is byte-for-byte " +
					"encoding/json's, checked by a test): building map[string]flagDetail and passing it to encoding/json " +
					"(reflection over every field, pointer fields allocated per flag, map keys sorted on every response) " +
					"costs several times the engine itself. The engine already returns results in sorted key order, so an " +
					"appender into a pooled buffer gives identical bytes without the map, the sort or the reflection."})
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

func writerAdvice(rep *Report, sp *SystemProfile) string {
	var procs []string
	for _, p := range sp.ByProcess {
		if p.Percent >= 5 {
			procs = append(procs, fmt.Sprintf("%s %.0f%%", p.Name, p.Percent))
		}
	}
	return "CPU by process while the admin clients PATCH flags (percentages of the whole machine): " + strings.Join(procs, ", ") + ". " +
		"The sessions spend much of their time in `Lock:transactionid`: every change of an environment waits for the " +
		"previous one to commit, because `inEnvironment` (services/writer/internal/postgres/mutate.go) starts with " +
		"`UPDATE environments SET version = version + 1` and then, while holding that row lock, reads every flag of the " +
		"environment and runs flag.ValidateSet (problemsOf), applies the change, reads and validates the whole set again " +
		"(refuseNewProblems), and writes the audit row, the outbox row and the NOTIFY, each a separate round trip. " +
		"Throughput per environment is therefore 1 / (time the lock is held), independent of the number of clients, and " +
		"it falls as the environment grows. Owners: bump the environment version as the *last* statement before the " +
		"outbox insert (read and validate before taking the lock, re-checking under it with the version), validate only " +
		"the changed flag and its dependency closure instead of the whole set twice, and send the tail of the " +
		"transaction (version bump, audit, outbox, NOTIFY) as one pgx.Batch so the lock spans one round trip."
}
