package operand

import "strings"

// Req is a semver::VersionReq: comparators that must all match.
type Req struct {
	comparators []comparator
}

type cmpOp uint8

const (
	cmpExact cmpOp = iota
	cmpGreater
	cmpGreaterEq
	cmpLess
	cmpLessEq
	cmpTilde
	cmpCaret
	cmpWildcard
)

// comparator is one "op version" term; minor and patch may be absent (a partial version or a wildcard).
type comparator struct {
	op                  cmpOp
	major, minor, patch uint64
	hasMinor, hasPatch  bool
	all                 bool // "*": matches every version
	pre                 []string
}

// ReqKind says which PostHog operator a requirement is built for.
type ReqKind uint8

// Requirement kinds.
const (
	Tilde ReqKind = iota
	Caret
	Wildcard
)

// ParseReq builds the requirement PostHog builds for semver_tilde ("~" + canonical version),
// semver_caret ("^" + canonical version) and semver_wildcard (components with * replaced by x).
func ParseReq(kind ReqKind, s string) (Req, bool) {
	n := normalizeVersion(s)
	switch kind {
	case Tilde:
		return parseSemverReq("~" + canonicalVersion(n))
	case Caret:
		return parseSemverReq("^" + canonicalVersion(n))
	}
	parts := strings.Split(n, ".")
	for i, p := range parts {
		parts[i] = stripLeadingZeros(p)
	}
	return parseSemverReq(strings.ReplaceAll(strings.Join(parts, "."), "*", "x"))
}

// parseSemverReq parses a comma-separated list of comparators.
func parseSemverReq(s string) (Req, bool) {
	var r Req
	if strings.TrimSpace(s) == "" {
		return r, false
	}
	for _, term := range strings.Split(s, ",") {
		c, ok := parseComparator(strings.TrimSpace(term))
		if !ok {
			return r, false
		}
		r.comparators = append(r.comparators, c)
	}
	return r, true
}

var cmpPrefixes = []struct {
	s  string
	op cmpOp
}{{">=", cmpGreaterEq}, {"<=", cmpLessEq}, {">", cmpGreater}, {"<", cmpLess}, {"=", cmpExact}, {"~", cmpTilde}, {"^", cmpCaret}}

// parseComparator parses "[op]major[.minor[.patch[-pre]]]" where missing or x/X/* components are wildcards.
// Without an operator the semver crate uses caret, or wildcard when a component is a wildcard.
func parseComparator(s string) (comparator, bool) {
	c := comparator{op: cmpCaret}
	explicit := false
	for _, p := range cmpPrefixes {
		if strings.HasPrefix(s, p.s) {
			c.op, explicit, s = p.op, true, strings.TrimSpace(s[len(p.s):])
			break
		}
	}
	if i := strings.IndexByte(s, '+'); i >= 0 {
		if _, ok := identifiers(s[i+1:], false); !ok {
			return c, false
		}
		s = s[:i]
	}
	if i := strings.IndexByte(s, '-'); i >= 0 {
		pre, ok := identifiers(s[i+1:], true)
		if !ok {
			return c, false
		}
		c.pre, s = pre, s[:i]
	}
	parts := strings.Split(s, ".")
	if len(parts) > 3 || s == "" {
		return c, false
	}
	wild := false
	dst := [3]*uint64{&c.major, &c.minor, &c.patch}
	for i, p := range parts {
		if p == "x" || p == "X" || p == "*" {
			wild = true
			continue
		}
		if wild {
			return c, false // "1.*.3": nothing may follow a wildcard
		}
		n, ok := numericIdentifier(p)
		if !ok {
			return c, false
		}
		*dst[i] = n
		if i == 1 {
			c.hasMinor = true
		} else if i == 2 {
			c.hasPatch = true
		}
	}
	if wild && (parts[0] == "x" || parts[0] == "X" || parts[0] == "*") {
		return comparator{op: cmpWildcard, all: true}, len(c.pre) == 0
	}
	if wild && !explicit {
		c.op = cmpWildcard
	}
	if c.pre != nil && (!c.hasMinor || !c.hasPatch) {
		return c, false // a pre-release needs a full version
	}
	return c, true
}

// every comparator matches, and a pre-release version only matches when
// some comparator names the same major.minor.patch with a pre-release.
// Matches is VersionReq::matches.
func (r Req) Matches(v Version) bool {
	for _, c := range r.comparators {
		if !c.matches(v) {
			return false
		}
	}
	if len(v.pre) == 0 {
		return true
	}
	for _, c := range r.comparators {
		if len(c.pre) > 0 && c.major == v.major && c.minor == v.minor && c.patch == v.patch {
			return true
		}
	}
	return false
}

func (c comparator) matches(v Version) bool {
	switch c.op {
	case cmpExact, cmpWildcard:
		return c.matchesExact(v)
	case cmpGreater:
		return c.matchesGreater(v)
	case cmpGreaterEq:
		return c.matchesExact(v) || c.matchesGreater(v)
	case cmpLess:
		return c.matchesLess(v)
	case cmpLessEq:
		return c.matchesExact(v) || c.matchesLess(v)
	case cmpTilde:
		return c.matchesTilde(v)
	default:
		return c.matchesCaret(v)
	}
}

func (c comparator) matchesExact(v Version) bool {
	if c.all {
		return true
	}
	if v.major != c.major {
		return false
	}
	if !c.hasMinor {
		return true
	}
	if v.minor != c.minor {
		return false
	}
	if !c.hasPatch {
		return true
	}
	return v.patch == c.patch && comparePre(v.pre, c.pre) == 0
}

func (c comparator) matchesGreater(v Version) bool {
	if v.major != c.major {
		return v.major > c.major
	}
	if !c.hasMinor {
		return false
	}
	if v.minor != c.minor {
		return v.minor > c.minor
	}
	if !c.hasPatch {
		return false
	}
	if v.patch != c.patch {
		return v.patch > c.patch
	}
	return comparePre(v.pre, c.pre) > 0
}

func (c comparator) matchesLess(v Version) bool {
	if v.major != c.major {
		return v.major < c.major
	}
	if !c.hasMinor {
		return false
	}
	if v.minor != c.minor {
		return v.minor < c.minor
	}
	if !c.hasPatch {
		return false
	}
	if v.patch != c.patch {
		return v.patch < c.patch
	}
	return comparePre(v.pre, c.pre) < 0
}

func (c comparator) matchesTilde(v Version) bool {
	if v.major != c.major {
		return false
	}
	if c.hasMinor && v.minor != c.minor {
		return false
	}
	if c.hasPatch && v.patch != c.patch {
		return v.patch > c.patch
	}
	return comparePre(v.pre, c.pre) >= 0
}

func (c comparator) matchesCaret(v Version) bool {
	if v.major != c.major {
		return false
	}
	if !c.hasMinor {
		return true
	}
	if !c.hasPatch {
		if c.major > 0 {
			return v.minor >= c.minor
		}
		return v.minor == c.minor
	}
	if c.major > 0 {
		if v.minor != c.minor {
			return v.minor > c.minor
		}
		if v.patch != c.patch {
			return v.patch > c.patch
		}
	} else if c.minor > 0 {
		if v.minor != c.minor {
			return false
		}
		if v.patch != c.patch {
			return v.patch > c.patch
		}
	} else if v.minor != c.minor || v.patch != c.patch {
		return false
	}
	return comparePre(v.pre, c.pre) >= 0
}
