package bench

import "testing"

func TestOthersPercent(t *testing.T) {
	a := cpuSample{total: 1000, busy: 400, ours: 300}
	b := cpuSample{total: 2000, busy: 1200, ours: 900} // 800 busy, 600 ours → 200 others of 1000
	if got := othersPercent(a, b); got != 20 {
		t.Errorf("othersPercent = %v, want 20", got)
	}
	if got := othersPercent(b, a); got != 0 {
		t.Errorf("othersPercent backwards = %v, want 0", got)
	}
	s := sampleCPU()
	if s.total == 0 || s.ours == 0 && s.busy == 0 {
		t.Skip("no /proc/stat here")
	}
}
