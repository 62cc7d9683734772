package operand

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Date is the compiled value of an is_date_* filter: an absolute instant, or an offset back from
// the evaluation's Now ("-7d", "1m": the sign is optional and ignored, as in PostHog).
type Date struct {
	OK       bool
	relative bool
	at       time.Time
	n        int
	unit     byte           // h d w m y
	loc      *time.Location // the team timezone relative dates are computed in; nil = UTC
}

// ParseDate is parse_date_string_in_tz with UTC as the team timezone: relative first, then RFC 3339,
// then naive dates and datetimes, then a few common fallbacks.
func ParseDate(s string) Date { return ParseDateIn(s, nil) }

// ParseDateIn is parse_date_string_in_tz (properties/property_matching.rs) for a team timezone: naive
// dates and datetimes are wall clocks in loc, relative dates are computed on loc's wall clock
// (relative_date.rs parse_relative_date_in_tz). nil means UTC.
func ParseDateIn(s string, loc *time.Location) Date {
	if n, unit, ok := ParseRelative(s); ok {
		return Date{OK: true, relative: true, n: n, unit: unit, loc: loc}
	}
	if t, ok := ParseAbsoluteIn(s, loc); ok {
		return Date{OK: true, at: t}
	}
	return Date{}
}

// ParseRelative matches ^-?[0-9]+[hdwmy]$ with a number below 10,000.
func ParseRelative(s string) (int, byte, bool) {
	s = strings.TrimPrefix(s, "-")
	if len(s) < 2 {
		return 0, 0, false
	}
	unit := s[len(s)-1]
	if strings.IndexByte("hdwmy", unit) < 0 || !allDigits(s[:len(s)-1]) {
		return 0, 0, false
	}
	digits := strings.TrimLeft(s[:len(s)-1], "0")
	if len(digits) > 4 {
		return 0, 0, false
	}
	n, _ := strconv.Atoi("0" + digits)
	return n, unit, n < 10000
}

// Resolve returns the filter's instant for an evaluation at now (the zero time when At fails).
func (d Date) Resolve(now time.Time) time.Time {
	t, _ := d.At(now)
	return t
}

// At returns the filter's instant for an evaluation at now. A relative date is computed on the team
// timezone's wall clock and read back in that timezone, as parse_relative_date_in_tz does; ok is false
// when the result falls in a daylight-saving gap (naive_to_utc_in_tz returns None there).
func (d Date) At(now time.Time) (time.Time, bool) {
	if !d.relative {
		return d.at, true
	}
	// Wall-clock arithmetic on a UTC-labelled copy of the local wall clock, like chrono's NaiveDateTime.
	local := now.In(locOrUTC(d.loc))
	w := time.Date(local.Year(), local.Month(), local.Day(), local.Hour(), local.Minute(), local.Second(), local.Nanosecond(), time.UTC)
	switch d.unit {
	case 'h':
		w = w.Add(-time.Duration(d.n) * time.Hour)
	case 'd':
		w = w.AddDate(0, 0, -d.n)
	case 'w':
		w = w.AddDate(0, 0, -7*d.n)
	case 'm':
		w = monthsBack(w, d.n)
	default:
		w = yearsBack(w, d.n)
	}
	return wallIn(w, d.loc)
}

func locOrUTC(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}

// wallIn is naive_to_utc_in_tz: the wall clock w (read from its UTC fields) as an instant in loc; the
// earliest instant when the wall clock occurs twice, and ok=false when it never occurs.
func wallIn(w time.Time, loc *time.Location) (time.Time, bool) {
	if loc == nil || loc == time.UTC {
		return w, true
	}
	var best time.Time
	found := false
	for _, probe := range []time.Duration{-36 * time.Hour, 0, 36 * time.Hour} {
		_, off := w.Add(probe).In(loc).Zone()
		t := w.Add(-time.Duration(off) * time.Second)
		l := t.In(loc)
		if l.Year() != w.Year() || l.Month() != w.Month() || l.Day() != w.Day() || l.Hour() != w.Hour() || l.Minute() != w.Minute() || l.Second() != w.Second() {
			continue
		}
		if !found || t.Before(best) {
			best, found = t, true
		}
	}
	return best, found
}

// monthsBack steps back one month at a time, clamping the day to the shorter month at each step, as
// PostHog's relativedelta port does (so Mar 31 - 2m is Jan 29 in a leap year, not Jan 31).
func monthsBack(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	for i := 0; i < n; i++ {
		m--
		if m == 0 {
			m, y = 12, y-1
		}
		d = min(d, daysIn(y, m))
	}
	return time.Date(y, m, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

func yearsBack(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	for i := 0; i < n; i++ {
		y--
		if m == time.February {
			d = min(d, daysIn(y, m))
		}
	}
	return time.Date(y, m, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

var naiveLayouts = []string{
	"2006-1-2 15:4:5.999999999", "2006-1-2T15:4:5.999999999", "2006-1-2 15:4", "2006-1-2T15:4",
}

// fallbackLayouts stand in for the dateparser crate PostHog falls back to for exotic formats.
var fallbackLayouts = []string{
	time.RFC1123Z, time.RFC1123, time.RFC822Z, time.RFC822, "Mon, 2 Jan 2006 15:04:05 -0700",
	"2006/01/02", "2006/01/02 15:04:05", "January 2, 2006", "Jan 2, 2006", "2 January 2006", "2 Jan 2006",
	"2006-01-02 15:04:05 -0700", "2006-01-02 15:04:05Z07:00", "2006-01-02T15:04:05Z0700",
}

// ParseAbsolute parses RFC 3339 (offset honoured, 'T', 't' or ' ' separator), then naive dates and
// datetimes in UTC, then the fallbacks.
func ParseAbsolute(s string) (time.Time, bool) { return ParseAbsoluteIn(s, nil) }

// ParseAbsoluteIn is ParseAbsolute with naive dates and datetimes read as wall clocks in loc (nil = UTC);
// a naive value in a daylight-saving gap does not parse, one in an overlap takes the earlier instant. The
// fallback layouts stand in for the dateparser crate, which PostHog calls without the team timezone.
func ParseAbsoluteIn(s string, loc *time.Location) (time.Time, bool) {
	if t, ok := parseRFC3339(s); ok {
		return t, true
	}
	if t, err := time.ParseInLocation("2006-1-2", s, time.UTC); err == nil {
		return wallIn(t, loc)
	}
	for _, l := range naiveLayouts {
		if t, err := time.ParseInLocation(l, s, time.UTC); err == nil {
			return wallIn(t, loc)
		}
	}
	for _, l := range fallbackLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

func parseRFC3339(s string) (time.Time, bool) {
	if len(s) > 10 && (s[10] == ' ' || s[10] == 't') {
		s = s[:10] + "T" + s[11:]
	}
	if strings.HasSuffix(s, "z") {
		s = s[:len(s)-1] + "Z"
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

// FromUnixFloat is parse_float_timestamp: floor for seconds, the fraction rounded to nanoseconds.
func FromUnixFloat(f float64) (time.Time, bool) {
	if f != f {
		// Rust's "NaN".parse::<f64>() succeeds and NaN.floor() as i64 is 0 (saturating casts), so
		// parse_float_timestamp gives the epoch.
		return time.Unix(0, 0).UTC(), true
	}
	if math.IsInf(f, 0) || math.Abs(f) > 8.2e12 {
		return time.Time{}, false // beyond chrono's representable range
	}
	sec := math.Floor(f)
	frac := math.Mod(f, 1)
	nanos := int64(0)
	if frac > 0 {
		nanos = int64(math.Round(frac * 1e9))
	}
	return time.Unix(int64(sec), nanos).UTC(), true
}

// Relative reports whether the date is an offset from now rather than an instant.
func (d Date) Relative() bool { return d.relative }
