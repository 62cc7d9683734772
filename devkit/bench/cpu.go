package bench

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The machine is shared: other engineers' builds and tests run on the same cores during a benchmark. Each
// load therefore records how much CPU processes *outside* this harness's process tree used while it ran (the
// harness, its cluster, the ceiling and wrk are inside), so a disturbed figure can be seen as such, and retried.

// cpuSample is a reading of the machine's CPU time and of this process tree's, in clock ticks.
type cpuSample struct {
	total, busy, ours uint64
}

func sampleCPU() cpuSample {
	var s cpuSample
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		f := strings.Fields(line)
		for i := 1; i < len(f) && i <= 8; i++ { // user nice system idle iowait irq softirq steal
			v, _ := strconv.ParseUint(f[i], 10, 64)
			s.total += v
			if i != 4 && i != 5 {
				s.busy += v
			}
		}
	}
	s.ours = treeTicks(os.Getpid())
	return s
}

// othersPercent is the share of the machine's capacity used between a and b by processes outside this tree.
func othersPercent(a, b cpuSample) float64 {
	if b.total <= a.total {
		return 0
	}
	others := float64(b.busy-a.busy) - float64(b.ours-a.ours)
	return max(0, 100*others/float64(b.total-a.total))
}

// treeTicks sums user+system ticks of root and its live descendants, plus the ticks of root's children that
// already exited and were waited for (cutime, cstime): a finished wrk counts as ours.
func treeTicks(root int) uint64 {
	entries, _ := os.ReadDir("/proc")
	parent := map[int]int{}
	ticks := map[int]uint64{}
	var rootChildren uint64
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// The command name may hold spaces; fields start after its closing parenthesis.
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:])) // f[0] = state, f[1] = ppid, f[11] = utime, f[12] = stime, f[13..14] = cutime, cstime
		if len(f) < 15 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		ut, _ := strconv.ParseUint(f[11], 10, 64)
		st, _ := strconv.ParseUint(f[12], 10, 64)
		parent[pid], ticks[pid] = ppid, ut+st
		if pid == root {
			cu, _ := strconv.ParseUint(f[13], 10, 64)
			cs, _ := strconv.ParseUint(f[14], 10, 64)
			rootChildren = cu + cs
		}
	}
	var sum uint64
	for pid, t := range ticks {
		for p, hops := pid, 0; p > 0 && hops < 64; p, hops = parent[p], hops+1 {
			if p == root {
				sum += t
				break
			}
		}
	}
	return sum + rootChildren
}

// settle waits, at most 10 s, until the machine is nearly idle (under 15% busy over a quarter second), so that
// a measurement does not start while the cluster still works through what the previous step left (snapshots
// to publish and compile, garbage to collect, WAL to flush).
func (r *Runner) settle(name string) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		a := sampleCPU()
		time.Sleep(250 * time.Millisecond)
		b := sampleCPU()
		busy := 100 * float64(b.busy-a.busy) / float64(max(b.total-a.total, 1))
		if busy < 15 {
			return
		}
		if time.Now().After(deadline) {
			r.logf("%s: the machine is still %.0f%% busy after 10 s; measuring anyway", name, busy)
			return
		}
	}
}
