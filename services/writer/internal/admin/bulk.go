package admin

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/halyard-flags/halyard/shared/flag"
)

// ExportFormat names Halyard's export document.
const ExportFormat = "halyard-export/v1"

// Export is an environment's definitions, as GET …/export returns them and POST …/import takes them back.
// Ids are the source environment's: an import maps them to its own.
type Export struct {
	Format             string            `json:"format"`
	EnvironmentID      int64             `json:"environment_id,omitempty"`
	EnvironmentVersion int64             `json:"environment_version,omitempty"`
	GroupTypes         map[string]string `json:"group_types"`
	Cohorts            []ExportCohort    `json:"cohorts"`
	Flags              []ExportFlag      `json:"flags"`
}

// ExportCohort is one cohort of an export.
type ExportCohort struct {
	ID int64 `json:"id"`
	CohortSpec
	Members []string `json:"members,omitempty"`
	// Placeholder stands for a cohort a PostHog payload references but leaves out (a static cohort): the
	// import creates it empty and static, or maps to the cohort of that name and leaves it as it is, and
	// reports it in ImportResult.Warnings. UsedBy lists the flags and cohorts referencing it.
	Placeholder bool     `json:"-"`
	UsedBy      []string `json:"-"`
}

// ExportFlag is one flag of an export.
type ExportFlag struct {
	ID                         int64        `json:"id"`
	Key                        string       `json:"key"`
	Name                       string       `json:"name"`
	Description                string       `json:"description"`
	Tags                       []string     `json:"tags"`
	Filters                    flag.Filters `json:"filters"`
	Active                     bool         `json:"active"`
	EnsureExperienceContinuity bool         `json:"ensure_experience_continuity"`
	BucketingIdentifier        string       `json:"bucketing_identifier,omitempty"`
	EvaluationRuntime          string       `json:"evaluation_runtime,omitempty"`
	EvaluationContexts         []string     `json:"evaluation_contexts,omitempty"`
}

// ExportFlagOf is a stored flag as an export carries it.
func ExportFlagOf(r FlagRecord) ExportFlag {
	return ExportFlag{ID: r.ID, Key: r.Key, Name: r.Name, Description: r.Description, Tags: r.Tags,
		Filters: r.Filters, Active: r.Active, EnsureExperienceContinuity: r.EnsureExperienceContinuity,
		BucketingIdentifier: r.BucketingIdentifier, EvaluationRuntime: r.EvaluationRuntime, EvaluationContexts: r.EvaluationContexts}
}

// Spec returns the flag as a FlagSpec.
func (f ExportFlag) Spec() FlagSpec {
	return FlagSpec{Flag: flag.Flag{ID: f.ID, Key: f.Key, Name: f.Name, Description: f.Description, Filters: f.Filters,
		Active: f.Active, EnsureExperienceContinuity: f.EnsureExperienceContinuity, BucketingIdentifier: f.BucketingIdentifier,
		EvaluationRuntime: f.EvaluationRuntime, EvaluationContexts: f.EvaluationContexts},
		Tags: f.Tags}
}

// Empty reports a document with nothing to import.
func (d *Export) Empty() bool {
	return len(d.GroupTypes) == 0 && len(d.Cohorts) == 0 && len(d.Flags) == 0
}

// GroupTypeIndexes is the document's group type mapping by index.
func (d *Export) GroupTypeIndexes() (map[int]string, error) {
	types := make(map[int]string, len(d.GroupTypes))
	for k, n := range d.GroupTypes {
		i, err := strconv.Atoi(k)
		if err != nil {
			return nil, Invalid(problem("group_types", fmt.Sprintf("group type index %q is not a number", k)))
		}
		types[i] = n
	}
	return types, nil
}

// ValidateImport validates every group type, cohort and flag of the document and reports every problem,
// each path prefixed by the item it is in.
func ValidateImport(doc *Export) error {
	var problems []flag.Problem
	if _, err := ParseGroupTypes(doc.GroupTypes); err != nil {
		problems = append(problems, problem("group_types", err.Error()))
	}
	for i, ch := range doc.Cohorts {
		ch.Name = strings.TrimSpace(ch.Name)
		for _, p := range cohortProblems(ch.CohortSpec, ch.Members) {
			problems = append(problems, problem(fmt.Sprintf("cohorts[%d].%s", i, p.Path), p.Message))
		}
	}
	for i, f := range doc.Flags {
		spec := f.Spec()
		for _, p := range flagProblems(&spec) {
			problems = append(problems, flag.Problem{Flag: f.Key, Path: fmt.Sprintf("flags[%d].%s", i, p.Path), Message: p.Message})
		}
	}
	return invalidIf(problems)
}

// ValidateCopy checks a copy of flags from environment source: a target other than the source, and at
// least one key.
func ValidateCopy(source, target int64, keys []string) error {
	switch {
	case target <= 0:
		return Invalid(problem("target_environment_id", "required"))
	case target == source:
		return Invalid(problem("target_environment_id", "the target must be another environment"))
	case len(keys) == 0:
		return Invalid(problem("keys", "list at least one flag key"))
	}
	return nil
}

// SelectFlags returns the flags of src (an export of environment from) named by keys, in that order; a key
// src lacks is a problem at its index.
func SelectFlags(src *Export, from int64, keys []string) ([]FlagSpec, error) {
	byKey := make(map[string]ExportFlag, len(src.Flags))
	for _, f := range src.Flags {
		byKey[f.Key] = f
	}
	specs := make([]FlagSpec, 0, len(keys))
	var missing []flag.Problem
	for i, k := range keys {
		f, ok := byKey[k]
		if !ok {
			missing = append(missing, problem(fmt.Sprintf("keys[%d]", i), fmt.Sprintf("flag %q does not exist in environment %d", k, from)))
			continue
		}
		specs = append(specs, f.Spec())
	}
	return specs, invalidIf(missing)
}

// ImportResult counts what an import or a copy did.
type ImportResult struct {
	EnvironmentVersion int64 `json:"environment_version"`
	FlagsCreated       int   `json:"flags_created"`
	FlagsUpdated       int   `json:"flags_updated"`
	CohortsCreated     int   `json:"cohorts_created"`
	CohortsUpdated     int   `json:"cohorts_updated"`
	// Warnings are what the import did that the caller should know about; never null.
	Warnings []ImportWarning `json:"warnings"`
}

// ImportWarning is one thing an import did on the caller's behalf.
type ImportWarning struct {
	Code     string   `json:"code"`      // static_cohort_placeholder
	CohortID int64    `json:"cohort_id"` // the environment's cohort
	Name     string   `json:"name"`
	Flags    []string `json:"flags"` // the flags (and cohorts) referencing it
	Message  string   `json:"message"`
}

// PlaceholderWarning reports what an import did with placeholder c: created the empty static cohort id,
// or (created false) mapped it to the existing cohort id, left as it is.
func PlaceholderWarning(c ExportCohort, id int64, created bool) ImportWarning {
	msg := fmt.Sprintf("the payload references cohort %d without defining it (PostHog leaves static cohorts out): ", c.ID)
	if created {
		msg += fmt.Sprintf("created the empty static cohort %q (id %d); upload its members with PUT …/cohorts/%d/members", c.Name, id, id)
	} else {
		msg += fmt.Sprintf("it maps to the existing cohort %q (id %d), left as it is", c.Name, id)
	}
	return ImportWarning{Code: "static_cohort_placeholder", CohortID: id, Name: c.Name, Flags: c.UsedBy, Message: msg}
}
