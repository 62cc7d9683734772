package admin

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/halyard-flags/halyard/shared/flag"
)

// PostHog's local-evaluation payload differs from Halyard's stored definitions in two ways an import must
// undo (PostHog's /api/feature_flag/local_evaluation and Halyard's evaluator serve the same form):
//   - a flag-dependency property's key is the depended-on flag's key, with a "dependency_chain" beside it,
//     where stored definitions carry the flag's id; older payloads carry the id;
//   - static cohorts are left out, so flags may reference cohort ids the payload does not define.

// FromPostHog turns a PostHog local-evaluation payload into an import document: deleted flags are left
// out, dependencies name document ids, and every cohort referenced but not defined gets a placeholder.
// A dependency on a flag the payload lacks is a 422 at its path.
func FromPostHog(le *flag.LocalEvaluation) (*Export, error) {
	doc := &Export{Format: ExportFormat, GroupTypes: map[string]string{}}
	for i, n := range le.GroupTypes {
		doc.GroupTypes[strconv.Itoa(i)] = n
	}
	for _, ch := range le.Cohorts {
		doc.Cohorts = append(doc.Cohorts, ExportCohort{ID: ch.ID, CohortSpec: CohortSpec{Name: PostHogCohortName(ch.ID), Filters: ch.Filters}})
	}
	for _, f := range le.Flags {
		if f.Deleted {
			continue
		}
		doc.Flags = append(doc.Flags, ExportFlag{ID: f.ID, Key: f.Key, Name: f.Name, Description: f.Description,
			Filters: f.Filters, Active: f.Active, EnsureExperienceContinuity: f.EnsureExperienceContinuity,
			BucketingIdentifier: f.BucketingIdentifier, EvaluationRuntime: f.EvaluationRuntime,
			EvaluationContexts: f.EvaluationContexts})
	}
	if problems := resolveDependencyKeys(doc.Flags); len(problems) > 0 {
		return nil, Invalid(problems...)
	}
	doc.Cohorts = append(doc.Cohorts, staticCohortPlaceholders(doc.Flags, doc.Cohorts)...)
	return doc, nil
}

// PostHogCohortName names an imported PostHog cohort, which the payload leaves nameless.
func PostHogCohortName(id int64) string { return fmt.Sprintf("posthog-cohort-%d", id) }

// resolveDependencyKeys rewrites each flag-dependency key of the payload's flags to the document id of the
// flag it names: a key of a flag in the payload first, then an id of one. The import later maps document ids
// to the environment's. dependency_chain is not kept: the evaluator derives it again. A dependency on a flag
// the payload does not have is a problem at its path.
func resolveDependencyKeys(flags []ExportFlag) []flag.Problem {
	byKey := make(map[string]int64, len(flags))
	byID := make(map[string]bool, len(flags))
	for _, f := range flags {
		byKey[f.Key] = f.ID
		byID[strconv.FormatInt(f.ID, 10)] = true
	}
	var problems []flag.Problem
	for i := range flags {
		f := &flags[i]
		EachCondition(&f.Filters, func(path string, c *flag.Condition) {
			for j := range c.Properties {
				p := &c.Properties[j]
				if p.Type != "flag" {
					continue
				}
				if id, ok := byKey[p.Key]; ok {
					p.Key = strconv.FormatInt(id, 10)
				} else if !byID[p.Key] {
					problems = append(problems, flag.Problem{Flag: f.Key, Path: fmt.Sprintf("flags[%d].filters.%s.properties[%d].key", i, path, j),
						Message: fmt.Sprintf("depends on flag %q, which is not in the payload (by key or by id)", p.Key)})
				}
			}
		})
	}
	return problems
}

// staticCohortPlaceholders returns a placeholder for every cohort id that the payload's flags or property
// cohorts reference but the payload does not define (PostHog leaves static cohorts out): an empty static
// cohort named posthog-cohort-<id>, which the import creates, or finds by name and leaves as it is.
func staticCohortPlaceholders(flags []ExportFlag, cohorts []ExportCohort) []ExportCohort {
	defined := map[int64]bool{}
	for _, c := range cohorts {
		defined[c.ID] = true
	}
	usedBy := map[int64][]string{}
	use := func(p *flag.Property, by string) {
		if p.Type != "cohort" {
			return
		}
		if id, ok := flag.CohortID(p.Value); ok && !defined[id] && !slices.Contains(usedBy[id], by) {
			usedBy[id] = append(usedBy[id], by)
		}
	}
	for i := range flags {
		f := flag.Flag{Filters: flags[i].Filters}
		EachFlagProperty(&f, func(p *flag.Property) { use(p, flags[i].Key) })
	}
	for _, c := range cohorts {
		ch := flag.Cohort{Filters: c.Filters}
		if tree, err := ch.PropertyTree(); err == nil {
			EachTreeProperty(tree, func(p *flag.Property) { use(p, c.Name) })
		}
	}
	ids := make([]int64, 0, len(usedBy))
	for id := range usedBy {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]ExportCohort, 0, len(ids))
	for _, id := range ids {
		out = append(out, ExportCohort{ID: id, CohortSpec: CohortSpec{Name: PostHogCohortName(id), IsStatic: true},
			Placeholder: true, UsedBy: usedBy[id]})
	}
	return out
}
