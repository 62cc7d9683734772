package logging

import (
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
)

// TestEncodeISO8601: the cached encoder writes what zap's ISO 8601 encoder writes, across seconds,
// milliseconds and locations.
func TestEncodeISO8601(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip(err)
	}
	base := time.Date(2026, 3, 29, 0, 59, 59, 999_999_999, time.UTC) // Paris moves to summer time at 01:00 UTC
	var times []time.Time
	for _, d := range []time.Duration{0, 1, time.Millisecond, 7 * time.Millisecond, 10 * time.Millisecond, 999 * time.Millisecond, time.Second, time.Hour} {
		for _, loc := range []*time.Location{time.UTC, paris, time.FixedZone("", -90*60), time.UTC} {
			times = append(times, base.Add(d).In(loc))
		}
	}
	for _, tm := range times {
		want, got := zapcore.NewMapObjectEncoder(), zapcore.NewMapObjectEncoder()
		_ = want.AddArray("t", zapcore.ArrayMarshalerFunc(func(e zapcore.ArrayEncoder) error {
			zapcore.ISO8601TimeEncoder(tm, e)
			return nil
		}))
		_ = got.AddArray("t", zapcore.ArrayMarshalerFunc(func(e zapcore.ArrayEncoder) error {
			encodeISO8601(tm, e)
			return nil
		}))
		w, g := want.Fields["t"].([]any)[0], got.Fields["t"].([]any)[0]
		if string(toBytes(g)) != w {
			t.Errorf("encodeISO8601(%v) = %q, want %q", tm, g, w)
		}
	}
}

func toBytes(v any) []byte {
	switch v := v.(type) {
	case []byte:
		return v
	case string:
		return []byte(v)
	}
	return nil
}
