package httpapi

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/halyard-flags/halyard/services/writer/internal/postgres"
	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/halyard-flags/halyard/shared/flag"
)

// flagKeyPattern is the documented key format: PostHog's (letters, digits, '-' and '_'), at most 200 long.
var flagKeyPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,200}$`)

// validateFlag checks what the admin API owns (the key format, names, tags) and the definition with
// shared/flag's Validate; every problem is reported at once. References to other flags and cohorts are
// checked against the environment in the transaction that stores the flag.
// MaxDescriptionBytes bounds a flag's description.
const MaxDescriptionBytes = 10_000

func validateFlag(f *postgres.FlagSpec) error {
	var problems []flag.Problem
	if !flagKeyPattern.MatchString(f.Key) {
		problems = append(problems, flag.Problem{Path: "key", Message: "key must be 1-200 letters, digits, '-' or '_'"})
	}
	if len(f.Name) > 400 {
		problems = append(problems, flag.Problem{Path: "name", Message: "at most 400 characters"})
	}
	// Descriptions travel in every snapshot; a cap keeps a few long ones from making an environment's snapshot
	// too large to publish (ADR 0005).
	if len(f.Description) > MaxDescriptionBytes {
		problems = append(problems, flag.Problem{Path: "description", Message: fmt.Sprintf("at most %d bytes", MaxDescriptionBytes)})
	}
	if len(f.Tags) > 50 {
		problems = append(problems, flag.Problem{Path: "tags", Message: "at most 50 tags"})
	}
	for i, t := range f.Tags {
		if t == "" || len(t) > 100 {
			problems = append(problems, flag.Problem{Path: fmt.Sprintf("tags[%d]", i), Message: "a tag is 1 to 100 characters"})
		}
	}
	for _, p := range flag.Validate(&f.Flag) {
		if p.Path != "key" || len(problems) == 0 || problems[0].Path != "key" {
			problems = append(problems, p)
		}
	}
	if len(problems) > 0 {
		return postgres.Invalid(problems)
	}
	return nil
}

// problemsOf returns the validation problems an error carries (nil when it carries none).
func problemsOf(err error) []flag.Problem {
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		return nil
	}
	switch d := ae.Details.(type) {
	case []flag.Problem:
		return d
	case []Problem:
		out := make([]flag.Problem, len(d))
		for i, p := range d {
			out[i] = flag.Problem{Path: p.Path, Message: p.Message}
		}
		return out
	}
	return []flag.Problem{{Path: "", Message: ae.Message}}
}
