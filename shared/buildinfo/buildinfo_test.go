package buildinfo

import (
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFrom(t *testing.T) {
	vcs := func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.time", Value: "2026-12-01T00:00:00Z"}}}, true
	}
	none := func() (*debug.BuildInfo, bool) { return nil, false }
	for _, tc := range []struct {
		name                string
		version, commit, at string
		read                func() (*debug.BuildInfo, bool)
		want                Info
	}{
		{"ldflags win", "1.2.3", "def456", "2026-12-02", vcs, Info{"1.2.3", "def456", "2026-12-02", runtime.Version()}},
		{"toolchain fills the gaps", "", "", "", vcs, Info{"dev", "abc123", "2026-12-01T00:00:00Z", runtime.Version()}},
		{"nothing known", "", "", "", none, Info{"dev", "unknown", "", runtime.Version()}},
	} {
		if diff := cmp.Diff(tc.want, from(tc.version, tc.commit, tc.at, tc.read)); diff != "" {
			t.Errorf("%s: mismatch (-want +got):\n%s", tc.name, diff)
		}
	}
	if got, want := (Info{"1.2.3", "def456", "", "go1.26"}).String(), "1.2.3 (commit def456, go1.26)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
