package admin

import (
	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/halyard-flags/halyard/shared/flag"
)

// Invalid is the one 422 error: code validation_failed, every problem in Details (as {path, message} and
// the flag's key when the problem is in a flag of a set), the first one in the message.
func Invalid(problems ...flag.Problem) error {
	if len(problems) == 0 {
		return apperr.New(apperr.Invalid, "validation_failed", "the request is not valid")
	}
	e := apperr.New(apperr.Invalid, "validation_failed", "%s", problems[0].Error())
	e.Details = problems
	return e
}

// problem is a flag.Problem at path.
func problem(path, message string) flag.Problem { return flag.Problem{Path: path, Message: message} }

// invalidIf is Invalid when there are problems, nil otherwise.
func invalidIf(problems []flag.Problem) error {
	if len(problems) == 0 {
		return nil
	}
	return Invalid(problems...)
}

// RefuseNew fails with every problem of after that was not in before. Problems that were there before a
// change are not its fault (validation may have become stricter since they were stored) and do not block it.
func RefuseNew(before, after []flag.Problem) error { return invalidIf(newProblems(before, after)) }

// newProblems lists the problems of after that were not in before.
func newProblems(before, after []flag.Problem) []flag.Problem {
	old := make(map[flag.Problem]bool, len(before))
	for _, p := range before {
		old[p] = true
	}
	var fresh []flag.Problem
	for _, p := range after {
		if !old[p] {
			fresh = append(fresh, p)
		}
	}
	return fresh
}
