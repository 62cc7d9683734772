// Package operand parses the typed operands of PostHog property filters — semantic versions, version
// requirements and dates — exactly as PostHog's flag service does, for both validation (package flag) and
// evaluation (package eval).
package operand

import (
	"strconv"
	"strings"
)

// This file is the part of Rust's semver crate PostHog relies on: strict MAJOR.MINOR.PATCH[-pre][+build]
// versions (after PostHog's canonicalisation: "v" prefix stripped, missing components padded, leading zeros
// dropped) and version requirements for ~, ^ and wildcards.

// Version is a semantic version as Rust's semver crate holds it.
type Version struct {
	major, minor, patch uint64
	pre                 []string
	build               []string
}

// ParseVersion is to_semver_representation: normalise, canonicalise, parse strictly.
func ParseVersion(s string) (Version, bool) {
	if v, ok, handled := parsePlainVersion(s); handled {
		return v, ok
	}
	return parseStrictSemver(canonicalVersion(normalizeVersion(s)))
}

// parsePlainVersion is an allocation-free fast path for the common "[v]1.2.3" shape (digits and dots
// only); handled is false when s needs the general path.
func parsePlainVersion(s string) (v Version, ok, handled bool) {
	s = strings.TrimPrefix(s, "v")
	var nums [3]uint64
	n, start := 0, 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] >= '0' && s[i] <= '9' {
			continue
		}
		if i < len(s) && s[i] != '.' {
			return v, false, false
		}
		if i == start || n == 3 {
			return v, false, true // an empty or a fourth component never parses
		}
		x, err := strconv.ParseUint(s[start:i], 10, 64)
		if err != nil {
			return v, false, false
		}
		nums[n], n, start = x, n+1, i+1
	}
	return Version{major: nums[0], minor: nums[1], patch: nums[2]}, true, true
}

// normalizeVersion strips one leading "v", then surrounding whitespace (in that order, as PostHog does).
func normalizeVersion(s string) string {
	return strings.TrimSpace(strings.TrimPrefix(s, "v"))
}

// canonicalVersion pads "3.10" to "3.10.0" and strips leading zeros of numeric core components.
func canonicalVersion(s string) string {
	core, suffix := s, ""
	if i := strings.IndexAny(s, "-+"); i >= 0 {
		core, suffix = s[:i], s[i:]
	}
	parts := strings.Split(core, ".")
	for i, p := range parts {
		parts[i] = stripLeadingZeros(p)
	}
	for len(parts) < 3 {
		parts = append(parts, "0")
	}
	return strings.Join(parts, ".") + suffix
}

func stripLeadingZeros(p string) string {
	if p == "" || !allDigits(p) {
		return p
	}
	t := strings.TrimLeft(p, "0")
	if t == "" {
		return "0"
	}
	return t
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return len(s) > 0
}

// parseStrictSemver is semver::Version::parse.
func parseStrictSemver(s string) (Version, bool) {
	var v Version
	var ok bool
	if i := strings.IndexByte(s, '+'); i >= 0 {
		if v.build, ok = identifiers(s[i+1:], false); !ok {
			return v, false
		}
		s = s[:i]
	}
	if i := strings.IndexByte(s, '-'); i >= 0 {
		if v.pre, ok = identifiers(s[i+1:], true); !ok {
			return v, false
		}
		s = s[:i]
	}
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return v, false
	}
	nums := [3]*uint64{&v.major, &v.minor, &v.patch}
	for i, p := range parts {
		n, ok := numericIdentifier(p)
		if !ok {
			return v, false
		}
		*nums[i] = n
	}
	return v, true
}

// numericIdentifier: digits, no leading zero unless "0", fits in u64.
func numericIdentifier(p string) (uint64, bool) {
	if !allDigits(p) || (len(p) > 1 && p[0] == '0') {
		return 0, false
	}
	n, err := strconv.ParseUint(p, 10, 64)
	return n, err == nil
}

// identifiers parses dot-separated pre-release or build identifiers: non-empty, [0-9A-Za-z-]; numeric
// pre-release identifiers may not have leading zeros.
func identifiers(s string, pre bool) ([]string, bool) {
	parts := strings.Split(s, ".")
	for _, p := range parts {
		if p == "" {
			return nil, false
		}
		for i := 0; i < len(p); i++ {
			c := p[i]
			if !(c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				return nil, false
			}
		}
		if pre && allDigits(p) && len(p) > 1 && p[0] == '0' {
			return nil, false
		}
	}
	return parts, true
}

// Compare orders versions like the semver crate: core, then pre-release (a release sorts after its
// pre-releases), then build metadata.
func Compare(a, b Version) int {
	if c := cmpUint(a.major, b.major); c != 0 {
		return c
	}
	if c := cmpUint(a.minor, b.minor); c != 0 {
		return c
	}
	if c := cmpUint(a.patch, b.patch); c != 0 {
		return c
	}
	if c := comparePre(a.pre, b.pre); c != 0 {
		return c
	}
	return compareIdentifiers(a.build, b.build)
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func comparePre(a, b []string) int {
	switch {
	case len(a) == 0 && len(b) == 0:
		return 0
	case len(a) == 0:
		return 1
	case len(b) == 0:
		return -1
	}
	return compareIdentifiers(a, b)
}

// compareIdentifiers: numeric identifiers compare numerically and sort before alphanumeric ones, which
// compare as ASCII; a shorter list that is a prefix sorts first.
func compareIdentifiers(a, b []string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if c := compareIdentifier(a[i], b[i]); c != 0 {
			return c
		}
	}
	return cmpUint(uint64(len(a)), uint64(len(b)))
}

func compareIdentifier(a, b string) int {
	an, bn := allDigits(a), allDigits(b)
	switch {
	case an && bn:
		a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
		if len(a) != len(b) {
			return cmpUint(uint64(len(a)), uint64(len(b)))
		}
		return strings.Compare(a, b)
	case an:
		return -1
	case bn:
		return 1
	}
	return strings.Compare(a, b)
}
