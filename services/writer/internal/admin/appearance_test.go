package admin

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func ptr[T any](v T) *T { return &v }

func TestEnvironmentPatchValidate(t *testing.T) {
	tests := []struct {
		name  string
		in    EnvironmentPatch
		want  EnvironmentPatch
		paths []string
	}{
		{"nothing", EnvironmentPatch{}, EnvironmentPatch{}, nil},
		{"everything", EnvironmentPatch{Name: ptr(" prod "), Label: ptr(" Production "), Color: ptr("#D32F2F"), Protected: ptr(true)},
			EnvironmentPatch{Name: ptr("prod"), Label: ptr("Production"), Color: ptr("#d32f2f"), Protected: ptr(true)}, nil},
		{"cleared", EnvironmentPatch{Label: ptr(""), Color: ptr(""), Protected: ptr(false)},
			EnvironmentPatch{Label: ptr(""), Color: ptr(""), Protected: ptr(false)}, nil},
		{"label of 40 characters", EnvironmentPatch{Label: ptr(strings.Repeat("é", 40))}, EnvironmentPatch{Label: ptr(strings.Repeat("é", 40))}, nil},
		{"label of 41 characters", EnvironmentPatch{Label: ptr(strings.Repeat("x", 41))}, EnvironmentPatch{}, []string{"label"}},
		{"label on two lines", EnvironmentPatch{Label: ptr("Pro\nduction")}, EnvironmentPatch{}, []string{"label"}},
		{"blank name", EnvironmentPatch{Name: ptr("  ")}, EnvironmentPatch{}, []string{"name"}},
		{"short colour", EnvironmentPatch{Color: ptr("#fff")}, EnvironmentPatch{}, []string{"color"}},
		{"named colour", EnvironmentPatch{Color: ptr("red")}, EnvironmentPatch{}, []string{"color"}},
		{"not hexadecimal", EnvironmentPatch{Color: ptr("#12345g")}, EnvironmentPatch{}, []string{"color"}},
		{"every problem", EnvironmentPatch{Name: ptr(""), Label: ptr(strings.Repeat("x", 41)), Color: ptr("#1234567")}, EnvironmentPatch{},
			[]string{"name", "label", "color"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.in.Validate()
			if diff := cmp.Diff(tt.paths, paths(problemsOf(t, err))); diff != "" {
				t.Fatalf("problems mismatch (-want +got):\n%s", diff)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEnvironmentPatchApply(t *testing.T) {
	cur := Environment{ID: 1, Name: "prod", Label: "Production", Color: "#d32f2f", Protected: true}
	tests := []struct {
		name  string
		patch EnvironmentPatch
		want  Environment
		empty bool
	}{
		{"nothing", EnvironmentPatch{}, cur, true},
		{"label only", EnvironmentPatch{Label: ptr("Live")}, Environment{ID: 1, Name: "prod", Label: "Live", Color: "#d32f2f", Protected: true}, false},
		{"everything", EnvironmentPatch{Name: ptr("staging"), Label: ptr(""), Color: ptr(""), Protected: ptr(false)}, Environment{ID: 1, Name: "staging"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.patch.Empty(); got != tt.empty {
				t.Errorf("Empty() = %v, want %v", got, tt.empty)
			}
			if diff := cmp.Diff(tt.want, tt.patch.Apply(cur)); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
