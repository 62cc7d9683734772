package eval

import "github.com/halyard-flags/halyard/shared/flag/operand"

func (c *prop) compareSemver(s string) bool {
	if !c.versionOK {
		return false
	}
	x, ok := operand.ParseVersion(s)
	if !ok {
		return false
	}
	r := operand.Compare(x, c.version)
	switch c.op {
	case opSemverEq:
		return r == 0
	case opSemverNeq:
		return r != 0
	case opSemverGt:
		return r > 0
	case opSemverGte:
		return r >= 0
	case opSemverLt:
		return r < 0
	default:
		return r <= 0
	}
}

func (c *prop) matchSemverReq(s string) bool {
	if !c.reqOK {
		return false
	}
	x, ok := operand.ParseVersion(s)
	return ok && c.req.Matches(x)
}
