package admin

import (
	"strconv"
	"strings"
	"time"

	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/halyard-flags/halyard/shared/flag"
)

// Project groups environments.
type Project struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// Environment is one environment of a project. Keys are only filled when they are just created: the server
// key is shown once and stored as a hash. Label, Color and Protected are how the admin UI shows it
// (appearance.go).
type Environment struct {
	ID        int64     `json:"id"`
	ProjectID int64     `json:"project_id"`
	Name      string    `json:"name"`
	Version   int64     `json:"version"`
	Label     string    `json:"label"`
	Color     string    `json:"color"`
	Protected bool      `json:"protected"`
	SDKKey    string    `json:"sdk_key,omitempty"`
	ServerKey string    `json:"server_key,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// WithoutKeys is the environment as the audit log records it: no key, secret or not.
func (e Environment) WithoutKeys() Environment {
	e.SDKKey, e.ServerKey = "", ""
	return e
}

// KeyInfo describes an environment credential. Value is the SDK key itself (public); a server key's value
// is never stored, so it is only present in the answer that created it.
type KeyInfo struct {
	ID        int64      `json:"id"`
	Kind      string     `json:"kind"`
	Value     string     `json:"value,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at"`
}

// EnvironmentDetail is an environment with its credentials (revoked ones excluded) and group types.
type EnvironmentDetail struct {
	Environment
	Keys       []KeyInfo      `json:"keys"`
	GroupTypes map[int]string `json:"group_types"`
}

// MaxNameLength bounds the names of projects, environments, tokens, cohorts and group types.
const MaxNameLength = 200

// ValidateName returns a project's or an environment's name without surrounding spaces, or the 422 when
// nothing or too much is left.
func ValidateName(name string) (string, error) {
	if name = strings.TrimSpace(name); name == "" || len(name) > MaxNameLength {
		return "", Invalid(problem("name", "name is required, at most 200 characters"))
	}
	return name, nil
}

// MaxGroupTypeIndex is the highest group type index PostHog has (five group types, 0 to 4).
const MaxGroupTypeIndex = 4

// ParseGroupTypes reads a {"0": "company", …} mapping: indexes 0 to 4, names 1 to 200 characters once
// trimmed. Every problem is reported, each at its index.
func ParseGroupTypes(in map[string]string) (map[int]string, error) {
	out := map[int]string{}
	var problems []flag.Problem
	for k, name := range in {
		i, err := strconv.Atoi(k)
		if err != nil || i < 0 || i > MaxGroupTypeIndex {
			problems = append(problems, problem(k, "group type indexes are 0 to 4"))
			continue
		}
		if name = strings.TrimSpace(name); name == "" || len(name) > MaxNameLength {
			problems = append(problems, problem(k, "a group type name is 1 to 200 characters"))
		}
		out[i] = name
	}
	if len(problems) > 0 {
		return nil, Invalid(problems...)
	}
	return out, nil
}

// MaxGrace bounds how long a rotated key may live on.
const MaxGrace = 90 * 24 * time.Hour

// ValidateRotation checks a key rotation: the kind is sdk or server, the grace from 0 (revoke the old keys
// now) to MaxGrace. It returns the grace as a duration.
func ValidateRotation(kind string, graceSeconds int64) (time.Duration, error) {
	var problems []flag.Problem
	if kind != KindSDK && kind != KindServer {
		problems = append(problems, problem("kind", "must be sdk or server"))
	}
	grace := time.Duration(graceSeconds) * time.Second
	if graceSeconds < 0 || graceSeconds > int64(MaxGrace/time.Second) {
		problems = append(problems, problem("grace_seconds", "must be from 0 (revoke now) to 7776000 (90 days)"))
	}
	return grace, invalidIf(problems)
}

// ProjectNotFound is the 404 of a missing project.
func ProjectNotFound(id int64) error {
	return apperr.New(apperr.NotFound, "project_not_found", "project %d does not exist", id)
}

// EnvironmentNotFound is the 404 of a missing environment.
func EnvironmentNotFound(id int64) error {
	return apperr.New(apperr.NotFound, "environment_not_found", "environment %d does not exist", id)
}
