package admin

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/halyard-flags/halyard/shared/flag"
)

func TestInvalid(t *testing.T) {
	tests := []struct {
		name     string
		problems []flag.Problem
		message  string
	}{
		{"none", nil, "the request is not valid"},
		{"one", []flag.Problem{{Path: "name", Message: "required"}}, "name: required"},
		{"in a flag", []flag.Problem{{Flag: "a", Path: "key", Message: "bad"}, {Path: "x", Message: "y"}}, "a: key: bad"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ae := apperr.As(Invalid(tt.problems...))
			got := struct {
				Kind          apperr.Kind
				Code, Message string
				Details       any
			}{ae.Kind, ae.Code, ae.Message, ae.Details}
			want := got
			want.Kind, want.Code, want.Message = apperr.Invalid, "validation_failed", tt.message
			if tt.problems != nil {
				want.Details = tt.problems
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRefuseNew(t *testing.T) {
	old := flag.Problem{Flag: "a", Path: "filters", Message: "was already wrong"}
	fresh := flag.Problem{Flag: "a", Path: "filters.groups[0]", Message: "new"}
	tests := []struct {
		name          string
		before, after []flag.Problem
		want          []flag.Problem // the problems refused; nil for none
	}{
		{"nothing", nil, nil, nil},
		{"old problem kept", []flag.Problem{old}, []flag.Problem{old}, nil},
		{"old problem fixed", []flag.Problem{old}, nil, nil},
		{"new problem", []flag.Problem{old}, []flag.Problem{old, fresh}, []flag.Problem{fresh}},
		{"same path, other flag", []flag.Problem{old}, []flag.Problem{{Flag: "b", Path: old.Path, Message: old.Message}},
			[]flag.Problem{{Flag: "b", Path: old.Path, Message: old.Message}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := RefuseNew(tt.before, tt.after)
			var got []flag.Problem
			if err != nil {
				got = apperr.As(err).Details.([]flag.Problem)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// problemsOf returns the problems of a 422 (nil for nil), and fails the test for any other error.
func problemsOf(tb testing.TB, err error) []flag.Problem {
	tb.Helper()
	if err == nil {
		return nil
	}
	ae := apperr.As(err)
	ps, ok := ae.Details.([]flag.Problem)
	if ae.Kind != apperr.Invalid || ae.Code != "validation_failed" || !ok {
		tb.Fatalf("error %v (details %#v), want a validation_failed with problems", err, ae.Details)
	}
	return ps
}

// paths lists the problems' paths.
func paths(ps []flag.Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Path)
	}
	return out
}
