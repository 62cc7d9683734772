package httpapi

import (
	"strings"
	"testing"

	"github.com/halyard-flags/halyard/services/writer/internal/postgres"
	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/halyard-flags/halyard/shared/flag"
)

func TestValidateFlagCapsDescription(t *testing.T) {
	f := &postgres.FlagSpec{Flag: flag.Flag{Key: "long", Description: strings.Repeat("x", MaxDescriptionBytes)}}
	if err := validateFlag(f); err != nil {
		t.Fatalf("a description at the limit was refused: %v", err)
	}
	f.Description += "x"
	err := validateFlag(f)
	ae := apperr.As(err)
	if err == nil || ae.Kind != apperr.Invalid {
		t.Fatalf("a description over the limit: %v, want a validation error", err)
	}
	problems, _ := ae.Details.([]flag.Problem)
	if len(problems) != 1 || problems[0].Path != "description" {
		t.Errorf("problems = %+v, want one at description", problems)
	}
}
