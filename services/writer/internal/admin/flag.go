package admin

import (
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/halyard-flags/halyard/shared/flag"
)

// FlagSpec is what an admin defines about a flag: the definition and its tags.
type FlagSpec struct {
	flag.Flag
	Tags []string `json:"tags"`
}

// FlagRecord is a stored flag: its definition and who changed it when.
type FlagRecord struct {
	FlagSpec
	EnvironmentID int64      `json:"environment_id"`
	CreatedBy     string     `json:"created_by"`
	UpdatedBy     string     `json:"updated_by"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	DeletedAt     *time.Time `json:"deleted_at,omitempty"`
}

// FlagQuery selects a page of flags.
type FlagQuery struct {
	Search  string // substring of the key or the name, case-insensitive
	Active  *bool
	Tag     string
	Deleted bool   // list deleted flags instead of live ones
	After   string // the key and id the previous page ended with
	AfterID int64
	Limit   int
}

// FlagInUse is the detail of a refused flag deletion: the live flags that depend on it.
type FlagInUse struct {
	Flags []string `json:"flags"`
}

// TagList is tags as stored and answered: no tags is an empty list, never null.
func TagList(tags []string) []string {
	if tags == nil {
		return []string{}
	}
	return tags
}

// Limits of a flag's own fields. Descriptions travel in every snapshot; a cap keeps a few long ones from
// making an environment's snapshot too large to publish (ADR 0005).
const (
	MaxFlagNameLength   = 400
	MaxDescriptionBytes = 10_000
	MaxTags             = 50
	MaxTagLength        = 100
)

// flagKeyPattern is the documented key format: PostHog's (letters, digits, '-' and '_'), at most 200 long.
var flagKeyPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,200}$`)

// ValidateFlag checks what the admin API owns (the key format, the name, the description, tags) and the
// definition with shared/flag's Validate, and reports every problem at once. References to other flags and
// cohorts are checked against the environment in the transaction that stores the flag.
func ValidateFlag(f *FlagSpec) error { return invalidIf(flagProblems(f)) }

func flagProblems(f *FlagSpec) []flag.Problem {
	var problems []flag.Problem
	if !flagKeyPattern.MatchString(f.Key) {
		problems = append(problems, problem("key", "key must be 1-200 letters, digits, '-' or '_'"))
	}
	if len(f.Name) > MaxFlagNameLength {
		problems = append(problems, problem("name", "at most 400 characters"))
	}
	if len(f.Description) > MaxDescriptionBytes {
		problems = append(problems, problem("description", fmt.Sprintf("at most %d bytes", MaxDescriptionBytes)))
	}
	if len(f.Tags) > MaxTags {
		problems = append(problems, problem("tags", "at most 50 tags"))
	}
	for i, t := range f.Tags {
		if t == "" || len(t) > MaxTagLength {
			problems = append(problems, problem(fmt.Sprintf("tags[%d]", i), "a tag is 1 to 100 characters"))
		}
	}
	keyRefused := len(problems) > 0 && problems[0].Path == "key"
	for _, p := range flag.Validate(&f.Flag) {
		if p.Path != "key" || !keyRefused { // the key's problem is reported once
			problems = append(problems, p)
		}
	}
	return problems
}

// OwnProblems is what flag.ValidateSet reports about the flag on its own.
func OwnProblems(f *flag.Flag) []flag.Problem {
	ps := flag.Validate(f)
	for i := range ps {
		ps[i].Flag = f.Key
	}
	return ps
}

// HasReferences reports whether the flag depends on another flag or on a cohort anywhere in its filters.
// A definition without references cannot add a reference problem or a dependency cycle to its environment,
// so it can be validated on its own.
func HasReferences(f *flag.Flag) bool {
	found := false
	EachFlagProperty(f, func(p *flag.Property) { found = found || p.Type == "flag" || p.Type == "cohort" })
	return found
}

// RefuseIfDependedOn is the 409 flag_in_use when a live flag of flags other than target depends on it
// (flag dependencies name the flag's id), nil otherwise.
func RefuseIfDependedOn(flags []flag.Flag, target *flag.Flag) error {
	use := FlagInUse{Flags: []string{}}
	id := strconv.FormatInt(target.ID, 10)
	for i := range flags {
		found := false
		EachFlagProperty(&flags[i], func(p *flag.Property) { found = found || (p.Type == "flag" && p.Key == id) })
		if found && flags[i].ID != target.ID {
			use.Flags = append(use.Flags, flags[i].Key)
		}
	}
	if len(use.Flags) == 0 {
		return nil
	}
	e := apperr.New(apperr.Conflict, "flag_in_use", "flags %v depend on %q; change or delete them first", use.Flags, target.Key)
	e.Details = use
	return e
}

// FlagNotFound is the 404 of a flag that is not live in the environment.
func FlagNotFound(envID int64, key string) error {
	return apperr.New(apperr.NotFound, "flag_not_found", "flag %q does not exist in environment %d", key, envID)
}

// FlagExists is the 409 of a create (or a restore) whose key a live flag has.
func FlagExists(envID int64, key string) error {
	return apperr.New(apperr.Conflict, "flag_exists", "flag %q already exists in environment %d", key, envID)
}
