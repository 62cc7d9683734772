package eval

import (
	"time"

	"github.com/halyard-flags/halyard/shared/flag/operand"
)

// propertyDate is determine_parsed_date_for_property_matching: numeric strings and numbers are unix
// seconds (fractions allowed), other strings parse like the filter, naive ones in the team timezone.
func propertyDate(v any, loc *time.Location) (time.Time, bool) {
	if s, ok := v.(string); ok {
		if f, ok := parseRustFloat(s); ok {
			return operand.FromUnixFloat(f)
		}
		if t, ok := operand.ParseAbsoluteIn(s, loc); ok {
			return t, true
		}
		return time.Time{}, false // a relative date is resolved by the caller, which knows Now
	}
	if f, ok := toFloat(v); ok {
		if _, isBool := v.(bool); !isBool {
			return operand.FromUnixFloat(f)
		}
	}
	return time.Time{}, false
}

func (c *prop) compareDate(v any, now time.Time) bool {
	if !c.date.OK {
		return false
	}
	got, ok := c.propertyDateAt(v, now)
	if !ok {
		return false
	}
	want, ok := c.date.At(now)
	if !ok {
		return false
	}
	switch c.op {
	case opIsDateBefore:
		return got.Before(want)
	case opIsDateAfter:
		return got.After(want)
	default:
		return got.Equal(want)
	}
}

// propertyDateAt also accepts a relative date as the property value, as PostHog's parser does.
func (c *prop) propertyDateAt(v any, now time.Time) (time.Time, bool) {
	if t, ok := propertyDate(v, c.loc); ok {
		return t, true
	}
	if s, ok := v.(string); ok {
		if d := operand.ParseDateIn(s, c.loc); d.OK && d.Relative() {
			return d.At(now)
		}
	}
	return time.Time{}, false
}
