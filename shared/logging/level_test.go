package logging

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/zap/zapcore"
)

func TestParseLevel(t *testing.T) {
	for _, tc := range []struct {
		name    string
		want    zapcore.Level
		wantErr bool
	}{
		{"debug", zapcore.DebugLevel, false},
		{"info", zapcore.InfoLevel, false},
		{"warn", zapcore.WarnLevel, false},
		{"error", zapcore.ErrorLevel, false},
		{"", zapcore.InfoLevel, true},
		{"warning", zapcore.InfoLevel, true},
		{"INFO", zapcore.InfoLevel, true},
		{"fatal", zapcore.InfoLevel, true},
	} {
		got, err := ParseLevel(tc.name)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v, error %t", tc.name, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestLevelFromEnv(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"default", nil, "info"},
		{"level", map[string]string{"HALYARD_LOG_LEVEL": "warn"}, "warn"},
		{"debug alias", map[string]string{"HALYARD_DEBUG": "1"}, "debug"},
		{"level wins over the alias", map[string]string{"HALYARD_LOG_LEVEL": "error", "HALYARD_DEBUG": "1"}, "error"},
		{"invalid level kept for Validate", map[string]string{"HALYARD_LOG_LEVEL": "loud"}, "loud"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := LevelFromEnv(func(k string) string { return tc.env[k] })
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("LevelFromEnv mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestNewLevel checks that the logger drops what is below its level.
func TestNewLevel(t *testing.T) {
	for _, tc := range []struct {
		level string
		want  []bool // debug, info, warn, error enabled
	}{
		{"debug", []bool{true, true, true, true}},
		{"info", []bool{false, true, true, true}},
		{"warn", []bool{false, false, true, true}},
		{"error", []bool{false, false, false, true}},
	} {
		log, err := New("json", tc.level)
		if err != nil {
			t.Fatal(err)
		}
		var got []bool
		for _, l := range []zapcore.Level{zapcore.DebugLevel, zapcore.InfoLevel, zapcore.WarnLevel, zapcore.ErrorLevel} {
			got = append(got, log.Core().Enabled(l))
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("New(json, %s) enabled levels mismatch (-want +got):\n%s", tc.level, diff)
		}
	}
	if _, err := New("json", "loud"); err == nil {
		t.Error(`New("json", "loud") accepted an unknown level`)
	}
}
