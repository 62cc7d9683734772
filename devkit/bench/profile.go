package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The evaluator and the writer do not expose net/http/pprof, so the harness profiles the real binaries from
// outside with Linux perf (CPU samples with frame-pointer call chains, which Go keeps on amd64 and arm64).

// Profile is a CPU profile of one process summarized for the report.
type Profile struct {
	Label     string
	Self      []SymbolShare // top leaf functions
	Inclusive []SymbolShare // selected functions with everything they call
	Classes   []SymbolShare // leaf samples grouped: JSON, GC, allocation, kernel network, engine, ...
	Other     []SymbolShare // the biggest leaf functions classify put in "other"
}

// SymbolShare is a share of CPU samples.
type SymbolShare struct {
	Name    string
	Percent float64
}

func perfAvailable() bool {
	_, err := exec.LookPath("perf")
	return err == nil
}

// StartPerf records pid's CPU for d after delay, in the background; wait returns the summary.
func StartPerf(ctx context.Context, dir, label string, pid int, delay, d time.Duration) (wait func() (*Profile, error)) {
	data := filepath.Join(dir, "perf-"+slug(label)+".data")
	done := make(chan error, 1)
	go func() {
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			done <- ctx.Err()
			return
		}
		cmd := exec.CommandContext(ctx, "perf", "record", "-F", "997", "-g", "-p", strconv.Itoa(pid), "-o", data,
			"--", "sleep", strconv.FormatFloat(d.Seconds(), 'f', 1, 64))
		out, err := cmd.CombinedOutput()
		if err != nil {
			err = fmt.Errorf("perf record: %w: %s", err, lastLines(out, 3))
		}
		done <- err
	}()
	return func() (*Profile, error) {
		if err := <-done; err != nil {
			return nil, err
		}
		return summarizePerf(ctx, label, data)
	}
}

var trailingDashes = regexp.MustCompile(`(\s+-)+\s*$`)

var perfLine = regexp.MustCompile(`^\s*([0-9.]+)%\s+(?:[0-9.]+%\s+)?(?:\S+\s+)?\[([.k])\]\s+(.+?)\s*$`)

func summarizePerf(ctx context.Context, label, data string, extra ...string) (*Profile, error) {
	self, err := perfReport(ctx, data, append([]string{"--no-children"}, extra...)...)
	if err != nil {
		return nil, err
	}
	incl, err := perfReport(ctx, data, append([]string{"--children"}, extra...)...)
	if err != nil {
		return nil, err
	}
	p := &Profile{Label: label}
	classes := map[string]float64{}
	for _, s := range self {
		c := classify(s.Name)
		classes[c] += s.Percent
		if c == "other" && len(p.Other) < 6 {
			p.Other = append(p.Other, s)
		}
	}
	for i, s := range self {
		if i == 15 {
			break
		}
		p.Self = append(p.Self, s)
	}
	for _, s := range incl {
		if inclusiveOfInterest(s.Name) && s.Percent >= 1 {
			p.Inclusive = append(p.Inclusive, s)
		}
	}
	for name, pc := range classes {
		p.Classes = append(p.Classes, SymbolShare{name, pc})
	}
	sort.Slice(p.Classes, func(i, j int) bool { return p.Classes[i].Percent > p.Classes[j].Percent })
	return p, nil
}

func perfReport(ctx context.Context, data string, args ...string) ([]SymbolShare, error) {
	args = append([]string{"report", "-i", data, "--stdio", "--sort", "symbol", "-g", "none", "--percent-limit", "0.05"}, args...)
	cmd := exec.CommandContext(ctx, "perf", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("perf report: %w: %s", err, lastLines(stderr.Bytes(), 3))
	}
	var res []SymbolShare
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		m := perfLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		pc, _ := strconv.ParseFloat(m[1], 64)
		name := trailingDashes.ReplaceAllString(m[3], "")
		if m[2] == "k" {
			name = "[kernel] " + name
		}
		res = append(res, SymbolShare{name, pc})
	}
	return res, nil
}

// classify groups a leaf function into what the optimization advice talks about.
func classify(sym string) string {
	switch {
	case strings.HasPrefix(sym, "[kernel]"):
		return "kernel (TCP, syscalls, scheduling)"
	case strings.Contains(sym, "encoding/json"), strings.HasPrefix(sym, "unicode/utf8"), strings.HasPrefix(sym, "strconv."),
		strings.HasPrefix(sym, "reflect."), strings.HasPrefix(sym, "bytes.(*Buffer)"), strings.HasPrefix(sym, "sort."):
		return "encoding/json (request decode, response encode, reflection, key sorting)"
	case strings.Contains(sym, "runtime.scanobject"), strings.Contains(sym, "runtime.gc"), strings.Contains(sym, "runtime.markBits"),
		strings.Contains(sym, "runtime.greyobject"), strings.Contains(sym, "runtime.findObject"), strings.Contains(sym, "runtime.scanblock"),
		strings.Contains(sym, "runtime.(*gcWork)"), strings.Contains(sym, "runtime.(*mspan)"), strings.Contains(sym, "runtime.sweep"),
		strings.Contains(sym, "runtime.(*sweep"), strings.Contains(sym, "runtime.wbBuf"), strings.Contains(sym, "runtime.bulkBarrier"),
		strings.Contains(sym, "runtime.spanOf"), strings.Contains(sym, "runtime.typePointers"), strings.Contains(sym, "runtime.scanSpan"),
		strings.Contains(sym, "runtime.tryDeferToSpanScan"), strings.Contains(sym, "runtime.(*spanInlineMarkBits)"):
		return "garbage collection"
	case strings.Contains(sym, "runtime.mallocgc"), strings.Contains(sym, "runtime.(*mcache)"), strings.Contains(sym, "runtime.(*mcentral)"),
		strings.Contains(sym, "runtime.(*mheap)"), strings.Contains(sym, "runtime.memclr"), strings.Contains(sym, "runtime.newobject"),
		strings.Contains(sym, "runtime.makeslice"), strings.Contains(sym, "runtime.makemap"), strings.Contains(sym, "runtime.growslice"),
		strings.Contains(sym, "runtime.nextFreeFast"), strings.Contains(sym, "runtime.heapSetType"):
		return "allocation"
	case strings.Contains(sym, "runtime.map"), strings.Contains(sym, "internal/runtime/maps"), strings.Contains(sym, "runtime.aeshash"),
		strings.Contains(sym, "runtime.memhash"), strings.Contains(sym, "runtime.strhash"):
		return "maps and hashing"
	case strings.Contains(sym, "halyard/shared/eval"), strings.Contains(sym, "crypto/"), strings.Contains(sym, "regexp"),
		strings.HasPrefix(sym, "strings."), strings.HasPrefix(sym, "sha1block"):
		return "evaluation engine (sha1, matching)"
	case strings.Contains(sym, "labstack/echo"), strings.HasPrefix(sym, "net/http"), strings.HasPrefix(sym, "net/textproto"),
		strings.HasPrefix(sym, "bufio"), strings.HasPrefix(sym, "net."), strings.HasPrefix(sym, "internal/poll"):
		return "HTTP server (net/http, echo)"
	case strings.Contains(sym, "msgpack"):
		return "msgpack"
	case strings.HasPrefix(sym, "runtime.") || strings.HasPrefix(sym, "internal/runtime") || strings.HasPrefix(sym, "syscall") ||
		strings.HasPrefix(sym, "__vdso") || strings.HasPrefix(sym, "time.") || strings.HasPrefix(sym, "sync.") ||
		strings.HasPrefix(sym, "internal/sync") || strings.HasPrefix(sym, "aeshash") || strings.HasPrefix(sym, "gogo") ||
		strings.HasPrefix(sym, "internal/bytealg") || strings.HasPrefix(sym, "context."):
		return "runtime (scheduler, syscalls, other)"
	}
	return "other"
}

var inclusiveNames = []string{
	"encoding/json.Unmarshal", "encoding/json.(*Encoder).Encode", "encoding/json.Marshal", "encoding/json.(*decodeState).object",
	"encoding/json.mapEncoder.encode", "slices.SortFunc[go.shape.[]struct { encoding/json.v reflect.Value; encoding/json.ks string },go.shape.struct { encoding/json.v reflect.Value; encoding/json.ks string }]",
	"runtime.gcDrain", "runtime.gcBgMarkWorker.func2",
	"runtime.gcBgMarkWorker", "runtime.mallocgc", "runtime.gcAssistAlloc", "internal/poll.(*FD).Write", "internal/poll.(*FD).Read",
	"net/http.(*conn).serve", "github.com/labstack/echo/v4.(*Echo).ServeHTTP", "github.com/labstack/echo/v4.(*context).JSON",
	"github.com/halyard-flags/halyard/shared/eval.(*Engine).EvaluateAll", "github.com/halyard-flags/halyard/shared/eval.(*Engine).EvaluateKeys",
	"github.com/halyard-flags/halyard/shared/eval.(*Engine).Evaluate", "crypto/sha1.Sum",
}

func inclusiveOfInterest(sym string) bool {
	for _, n := range inclusiveNames {
		if sym == n {
			return true
		}
	}
	return strings.Contains(sym, "internal/httpapi.") || strings.Contains(sym, "internal/postgres.") ||
		strings.Contains(sym, "internal/publisher.")
}

// SystemProfile is a machine-wide CPU profile: the share of each process, and one process's functions.
type SystemProfile struct {
	ByProcess []SymbolShare
	Focus     *Profile
}

// StartPerfSystem records every CPU for d in the background; wait returns the share of each process and the
// profile of the process named comm.
func StartPerfSystem(ctx context.Context, dir, label, comm string, d time.Duration) (wait func() (*SystemProfile, error)) {
	data := filepath.Join(dir, "perf-"+slug(label)+".data")
	done := make(chan error, 1)
	go func() {
		cmd := exec.CommandContext(ctx, "perf", "record", "-a", "-F", "497", "-g", "-o", data,
			"--", "sleep", strconv.FormatFloat(d.Seconds(), 'f', 1, 64))
		out, err := cmd.CombinedOutput()
		if err != nil {
			err = fmt.Errorf("perf record -a: %w: %s", err, lastLines(out, 3))
		}
		done <- err
	}()
	return func() (*SystemProfile, error) {
		if err := <-done; err != nil {
			return nil, err
		}
		out, err := exec.CommandContext(ctx, "perf", "report", "-i", data, "--stdio", "--sort", "comm", "-g", "none", "--percent-limit", "1").Output()
		if err != nil {
			return nil, fmt.Errorf("perf report --sort comm: %w", err)
		}
		sp := &SystemProfile{}
		for _, line := range strings.Split(string(out), "\n") {
			if m := commLine.FindStringSubmatch(line); m != nil && !strings.HasPrefix(line, "#") {
				pc, _ := strconv.ParseFloat(m[1], 64)
				sp.ByProcess = append(sp.ByProcess, SymbolShare{m[2], pc})
			}
		}
		sp.Focus, err = summarizePerf(ctx, label+" ("+comm+" process only)", data, "--comms", comm)
		return sp, err
	}
}

var commLine = regexp.MustCompile(`^\s*([0-9.]+)%\s+(?:[0-9.]+%\s+)?(\S.*?)\s*$`)

// Text renders the profile for the report.
func (p *Profile) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "perf CPU profile: %s\n-- leaf samples by kind --\n", p.Label)
	for _, c := range p.Classes {
		if c.Percent >= 0.5 {
			fmt.Fprintf(&b, "%6.1f%%  %s\n", c.Percent, c.Name)
		}
	}
	b.WriteString("-- top leaf functions (self) --\n")
	for _, s := range p.Self {
		fmt.Fprintf(&b, "%6.1f%%  %s\n", s.Percent, s.Name)
	}
	if len(p.Other) > 0 {
		b.WriteString("-- largest leaves counted as other --\n")
		for _, s := range p.Other {
			fmt.Fprintf(&b, "%6.1f%%  %s\n", s.Percent, s.Name)
		}
	}
	b.WriteString("-- inclusive (function and its callees) --\n")
	for _, s := range p.Inclusive {
		fmt.Fprintf(&b, "%6.1f%%  %s\n", s.Percent, s.Name)
	}
	return b.String()
}

// Share returns the percentage of a class or inclusive function (0 when absent).
func (p *Profile) Share(name string) float64 {
	for _, lists := range [][]SymbolShare{p.Classes, p.Inclusive} {
		for _, s := range lists {
			if s.Name == name {
				return s.Percent
			}
		}
	}
	return 0
}

// ShareSuffix returns the inclusive percentage of the function whose name ends with suffix (0 when absent).
func (p *Profile) ShareSuffix(suffix string) float64 {
	for _, s := range p.Inclusive {
		if strings.HasSuffix(s.Name, suffix) {
			return s.Percent
		}
	}
	return 0
}

// pidOf finds the child process running bin with addrVar=addr in its environment.
func pidOf(bin, addrVar, addr string) (int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err != nil || exe != bin {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err == nil && bytes.Contains(env, []byte(addrVar+"="+addr+"\x00")) {
			return pid, nil
		}
	}
	return 0, fmt.Errorf("no process of %s with %s=%s", bin, addrVar, addr)
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
