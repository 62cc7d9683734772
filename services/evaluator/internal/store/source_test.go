package store

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/shared/wire"
)

// TestSource: a version loaded from disk is served as the disk's until the stream delivers that version
// (Confirm) or a newer one (Apply); a stream older than the disk leaves it the disk's.
func TestSource(t *testing.T) {
	type step struct {
		op      string // disk, stream, confirm
		version int64
		want    bool
	}
	tests := []struct {
		name        string
		steps       []step
		wantVersion int64
		wantSource  string
	}{
		{"stream only", []step{{"stream", 3, true}}, 3, SourceStream},
		{"disk only", []step{{"disk", 3, true}}, 3, SourceDisk},
		{"disk, then the same version from the stream", []step{{"disk", 3, true}, {"stream", 3, false}, {"confirm", 3, true}}, 3, SourceStream},
		{"disk, then a newer version from the stream", []step{{"disk", 3, true}, {"stream", 4, true}}, 4, SourceStream},
		{"disk newer than the stream", []step{{"disk", 3, true}, {"stream", 2, false}, {"confirm", 2, false}}, 3, SourceDisk},
		{"confirm twice", []step{{"disk", 3, true}, {"confirm", 3, true}, {"confirm", 3, false}}, 3, SourceStream},
		{"confirm what the stream gave", []step{{"stream", 3, true}, {"confirm", 3, false}}, 3, SourceStream},
		{"disk older than the stream", []step{{"stream", 3, true}, {"disk", 2, false}}, 3, SourceStream},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New()
			for i, st := range tt.steps {
				var got bool
				switch st.op {
				case "disk":
					got = s.ApplyFromDisk(snapshot(1, st.version, []wire.Key{sdk("k")}, "f"))
				case "stream":
					got = s.Apply(snapshot(1, st.version, []wire.Key{sdk("k")}, "f"))
				case "confirm":
					got = s.Confirm(1, st.version)
				}
				if got != st.want {
					t.Errorf("step %d (%s v%d) = %v, want %v", i, st.op, st.version, got, st.want)
				}
			}
			e, ok := s.ByID(1)
			if !ok {
				t.Fatal("environment 1 not held")
			}
			want := [2]any{tt.wantVersion, tt.wantSource}
			if diff := cmp.Diff(want, [2]any{e.Version, e.Source()}); diff != "" {
				t.Errorf("version and source mismatch (-want +got):\n%s", diff)
			}
			wantFromDisk := 0
			if tt.wantSource == SourceDisk {
				wantFromDisk = 1
			}
			if got := s.FromDisk(); got != wantFromDisk {
				t.Errorf("FromDisk() = %d, want %d", got, wantFromDisk)
			}
		})
	}
}
