package admin

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/halyard-flags/halyard/shared/flag"
)

// CohortSpec is what an admin defines about a cohort. Filters (property cohorts only) is PostHog's nested
// AND/OR tree, stored as {"properties": {...}}.
type CohortSpec struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	IsStatic    bool            `json:"is_static"`
	Filters     json.RawMessage `json:"filters,omitempty"`
}

// CohortRecord is a stored cohort.
type CohortRecord struct {
	ID            int64 `json:"id"`
	EnvironmentID int64 `json:"environment_id"`
	CohortSpec
	MemberCount int64     `json:"member_count"`
	Version     int64     `json:"version"`
	CreatedBy   string    `json:"created_by"`
	UpdatedBy   string    `json:"updated_by"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// CohortInUse is the detail of a refused cohort deletion.
type CohortInUse struct {
	Flags   []string `json:"flags"`
	Cohorts []int64  `json:"cohorts"`
}

// Limits of static cohort uploads.
const (
	MaxCohortMembers = 1_000_000 // members in one upload
	MaxMemberLength  = 400
)

// ValidateCohort checks a cohort's name and, for a property cohort, its tree: every leaf is validated as a
// flag condition's property would be (shared/flag), at its path in the tree. A static cohort has members
// and no filters, a property cohort the other way round. The name is expected trimmed.
func ValidateCohort(spec CohortSpec, members []string) error {
	return invalidIf(cohortProblems(spec, members))
}

func cohortProblems(spec CohortSpec, members []string) []flag.Problem {
	var problems []flag.Problem
	if spec.Name == "" || len(spec.Name) > MaxNameLength {
		problems = append(problems, problem("name", "name is required, at most 200 characters"))
	}
	if spec.IsStatic {
		if len(spec.Filters) > 0 && string(spec.Filters) != "null" {
			problems = append(problems, problem("filters", "a static cohort has members, not filters"))
		}
		return append(problems, memberProblems(members)...)
	}
	if len(members) > 0 {
		problems = append(problems, problem("members", "a property cohort has filters, not members"))
	}
	return append(problems, treeProblems(spec.Filters)...)
}

// ValidateMembers checks one upload of a static cohort's members: at most MaxCohortMembers, each 1 to 400
// characters. Only the first bad member is reported.
func ValidateMembers(members []string) error { return invalidIf(memberProblems(members)) }

func memberProblems(members []string) []flag.Problem {
	if len(members) > MaxCohortMembers {
		return []flag.Problem{problem("members", fmt.Sprintf("at most %d members per upload", MaxCohortMembers))}
	}
	for i, m := range members {
		if m == "" || len(m) > MaxMemberLength {
			return []flag.Problem{problem(fmt.Sprintf("members[%d]", i), "a member id is 1 to 400 characters")}
		}
	}
	return nil
}

func treeProblems(filters json.RawMessage) []flag.Problem {
	c := flag.Cohort{Filters: filters}
	tree, err := c.PropertyTree()
	if err != nil {
		return []flag.Problem{problem("filters", "not a property group: "+err.Error())}
	}
	if tree == nil {
		return []flag.Problem{problem("filters", `a property cohort needs filters: {"properties": {"type": "OR", "values": [...]}}`)}
	}
	var out []flag.Problem
	walkTree("filters.properties", tree, &out)
	return out
}

func walkTree(path string, g *flag.PropertyGroup, out *[]flag.Problem) {
	switch g.Type {
	case "AND", "OR", "property":
	default:
		*out = append(*out, problem(path+".type", "a group's type is AND or OR"))
	}
	for i, n := range g.Values {
		p := fmt.Sprintf("%s.values[%d]", path, i)
		switch {
		case n.Group != nil:
			walkTree(p, n.Group, out)
		case n.Filter != nil:
			f := flag.Flag{Key: "cohort", Filters: flag.Filters{Groups: []flag.Condition{{Properties: []flag.Property{*n.Filter}}}}}
			for _, pr := range flag.Validate(&f) {
				*out = append(*out, problem(p+strings.TrimPrefix(pr.Path, "filters.groups[0].properties[0]"), pr.Message))
			}
		}
	}
}

// CheckCohortEdit refuses an edit that turns a static cohort into a property cohort or back.
func CheckCohortEdit(cur CohortRecord, next CohortSpec) error {
	if next.IsStatic != cur.IsStatic {
		return Invalid(problem("is_static", "a cohort cannot change between static and property"))
	}
	return nil
}

// CohortUses lists the live flags and the other cohorts that reference cohort id.
func CohortUses(flags []flag.Flag, cohorts []flag.Cohort, id int64) CohortInUse {
	use := CohortInUse{Flags: []string{}, Cohorts: []int64{}}
	refers := func(found *bool) func(p *flag.Property) {
		return func(p *flag.Property) {
			if cid, ok := flag.CohortID(p.Value); ok && p.Type == "cohort" && cid == id {
				*found = true
			}
		}
	}
	for i := range flags {
		found := false
		if EachFlagProperty(&flags[i], refers(&found)); found {
			use.Flags = append(use.Flags, flags[i].Key)
		}
	}
	for i := range cohorts {
		tree, err := cohorts[i].PropertyTree()
		if err != nil || tree == nil || cohorts[i].ID == id {
			continue
		}
		found := false
		if EachTreeProperty(tree, refers(&found)); found {
			use.Cohorts = append(use.Cohorts, cohorts[i].ID)
		}
	}
	return use
}

// Err is the 409 cohort_in_use when anything uses the cohort, nil otherwise.
func (u CohortInUse) Err(id int64) error {
	if len(u.Flags) == 0 && len(u.Cohorts) == 0 {
		return nil
	}
	e := apperr.New(apperr.Conflict, "cohort_in_use", "cohort %d is used by flags %v and cohorts %v", id, u.Flags, u.Cohorts)
	e.Details = u
	return e
}

// CohortNotFound is the 404 of a missing cohort.
func CohortNotFound(envID, id int64) error {
	return apperr.New(apperr.NotFound, "cohort_not_found", "cohort %d does not exist in environment %d", id, envID)
}
