package logging

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// jsonConfig is the encoder configuration a Buffered JSON logger uses.
func jsonConfig() zapcore.EncoderConfig {
	cfg := zap.NewProductionConfig().EncoderConfig
	cfg.TimeKey = "ts"
	cfg.EncodeTime = encodeISO8601
	return cfg
}

// encodeBoth encodes ent and fields with flatJSON and with zap's JSON encoder.
func encodeBoth(tb testing.TB, flat *flatJSON, ent zapcore.Entry, fields []zapcore.Field) (got, want string) {
	tb.Helper()
	g, err := flat.EncodeEntry(ent, fields)
	if err != nil {
		tb.Fatal(err)
	}
	w, err := zapcore.NewJSONEncoder(jsonConfig()).EncodeEntry(ent, fields)
	if err != nil {
		tb.Fatal(err)
	}
	defer g.Free()
	defer w.Free()
	return g.String(), w.String()
}

// TestFlatJSON: the fast path writes what zap's JSON encoder writes, and every entry it does not take is
// zap's.
func TestFlatJSON(t *testing.T) {
	at := time.Date(2026, 12, 1, 16, 28, 43, 123_456_789, time.UTC)
	access := []zapcore.Field{zap.String("request_id", "0b8a1f8e-6c3b-4a52-9a49-3c1f1d2e4b5a"), zap.String("method", "POST"),
		zap.String("route", "/ofrep/v1/evaluate/flags/:key"), zap.Int("status", 200), zap.Duration("duration", 123456*time.Nanosecond),
		zap.Int64("bytes", 158), zap.String("remote", "192.0.2.1:1234")}
	tests := []struct {
		name   string
		ent    zapcore.Entry
		fields []zapcore.Field
	}{
		{"access line", zapcore.Entry{Level: zapcore.InfoLevel, Time: at, LoggerName: "access", Message: "request"}, access},
		{"no fields, no name", zapcore.Entry{Level: zapcore.WarnLevel, Time: at, Message: "m"}, nil},
		{"no time", zapcore.Entry{Level: zapcore.InfoLevel, Message: "m"}, access[:2]},
		{"negative, zero and huge numbers", zapcore.Entry{Level: zapcore.ErrorLevel, Time: at, Message: "m"},
			[]zapcore.Field{zap.Int("a", -7), zap.Int64("b", 0), zap.Int64("c", 1<<62), zap.Duration("d", 0), zap.Duration("e", -time.Hour),
				zap.Duration("f", 3*time.Nanosecond), zap.Duration("g", 1<<62)}},
		{"empty key and value", zapcore.Entry{Level: zapcore.InfoLevel, Time: at, Message: ""}, []zapcore.Field{zap.String("", "")}},
		{"a value to escape", zapcore.Entry{Level: zapcore.InfoLevel, Time: at, Message: "m"}, []zapcore.Field{zap.String("k", "a\"b\\c\n")}},
		{"non-ASCII", zapcore.Entry{Level: zapcore.InfoLevel, Time: at, Message: "été"}, []zapcore.Field{zap.String("k", "日本")}},
		{"a key to escape", zapcore.Entry{Level: zapcore.InfoLevel, Time: at, Message: "m"}, []zapcore.Field{zap.Int("k\"", 1)}},
		{"other types", zapcore.Entry{Level: zapcore.InfoLevel, Time: at, Message: "m"},
			[]zapcore.Field{zap.Bool("b", true), zap.Float64("f", 1.5), zap.Error(errors.New("e")), zap.Strings("s", []string{"x"})}},
		{"caller and stack", zapcore.Entry{Level: zapcore.ErrorLevel, Time: at, Message: "m", Stack: "goroutine 1",
			Caller: zapcore.NewEntryCaller(0, "f.go", 3, true)}, access[:1]},
	}
	flat := newFlatJSON(jsonConfig())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, want := encodeBoth(t, flat, tt.ent, tt.fields)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("mismatch (-zap +flat):\n%s", diff)
			}
		})
	}
}

// TestFlatJSONContext: a clone's context fields (logger.With) are kept, through zap's encoder.
func TestFlatJSONContext(t *testing.T) {
	flat := newFlatJSON(jsonConfig())
	clone := flat.Clone()
	clone.AddString("service", "evaluator")
	ent := zapcore.Entry{Level: zapcore.InfoLevel, Time: time.Unix(1764606523, 0).UTC(), Message: "m"}
	b, err := clone.EncodeEntry(ent, []zapcore.Field{zap.Int("n", 1)})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"level":"info","ts":"2025-12-01T16:28:43.000Z","msg":"m","service":"evaluator","n":1}` + "\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

// TestFlatJSONRandom: random printable and non-printable strings, integers and durations encode as zap's.
func TestFlatJSONRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	str := func() string {
		b := make([]byte, rng.IntN(12))
		for i := range b {
			b[i] = byte(rng.IntN(0x90)) // mostly printable ASCII, sometimes control bytes, quotes or bytes ≥ 0x80
		}
		return string(b)
	}
	flat := newFlatJSON(jsonConfig())
	for i := range 5000 {
		var fields []zapcore.Field
		for range rng.IntN(8) {
			switch rng.IntN(3) {
			case 0:
				fields = append(fields, zap.String(str(), str()))
			case 1:
				fields = append(fields, zap.Int64(str(), rng.Int64()-rng.Int64()))
			default:
				fields = append(fields, zap.Duration(str(), time.Duration(rng.Int64N(1<<40))))
			}
		}
		ent := zapcore.Entry{Level: zapcore.Level(rng.IntN(4)), Time: time.Unix(rng.Int64N(1<<32), rng.Int64N(1e9)), LoggerName: str(), Message: str()}
		if got, want := encodeBoth(t, flat, ent, fields); got != want {
			t.Fatalf("case %d: flat %q, zap %q", i, got, want)
		}
	}
}
