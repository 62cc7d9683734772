package admin

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/halyard-flags/halyard/shared/flag"
)

// EnvironmentPatch changes an environment's name or how the admin UI shows it; a field left nil stays as
// it is. Protected asks the UI to confirm every change in the environment, naming the flag and the
// environment; the API itself asks nothing more.
type EnvironmentPatch struct {
	Name      *string `json:"name"`
	Label     *string `json:"label"`
	Color     *string `json:"color"`
	Protected *bool   `json:"protected"`
}

// MaxLabelLength bounds an environment's label, in characters: it is shown as a badge.
const MaxLabelLength = 40

// colorPattern is a colour as the UI's colour input gives it, #rrggbb.
var colorPattern = regexp.MustCompile(`^#[0-9A-Fa-f]{6}$`)

// Validate reports every problem of the fields sent and returns the patch as it is stored: the name and
// the label without surrounding spaces, the colour in lower case ("" clears it).
func (p EnvironmentPatch) Validate() (EnvironmentPatch, error) {
	var problems []flag.Problem
	if p.Name != nil {
		name, err := ValidateName(*p.Name)
		if err != nil {
			problems = append(problems, problem("name", "name is required, at most 200 characters"))
		}
		p.Name = &name
	}
	if p.Label != nil {
		label := strings.TrimSpace(*p.Label)
		if utf8.RuneCountInString(label) > MaxLabelLength || strings.IndexFunc(label, unicode.IsControl) >= 0 {
			problems = append(problems, problem("label", "a label is one line of at most 40 characters"))
		}
		p.Label = &label
	}
	if p.Color != nil {
		color := strings.ToLower(strings.TrimSpace(*p.Color))
		if color != "" && !colorPattern.MatchString(color) {
			problems = append(problems, problem("color", `a colour is "#rrggbb" (hexadecimal digits), or "" for none`))
		}
		p.Color = &color
	}
	return p, invalidIf(problems)
}

// Empty reports a patch that changes nothing.
func (p EnvironmentPatch) Empty() bool {
	return p.Name == nil && p.Label == nil && p.Color == nil && p.Protected == nil
}

// Apply returns e with the patch's fields set.
func (p EnvironmentPatch) Apply(e Environment) Environment {
	if p.Name != nil {
		e.Name = *p.Name
	}
	if p.Label != nil {
		e.Label = *p.Label
	}
	if p.Color != nil {
		e.Color = *p.Color
	}
	if p.Protected != nil {
		e.Protected = *p.Protected
	}
	return e
}
