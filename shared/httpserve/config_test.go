package httpserve

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestConfigFromEnv(t *testing.T) {
	def := Config{ReadHeaderTimeout: time.Second, ReadTimeout: 2 * time.Second, WriteTimeout: 3 * time.Second,
		IdleTimeout: 4 * time.Second, LameDuck: 5 * time.Second, ShutdownTimeout: 6 * time.Second}
	for _, tc := range []struct {
		name    string
		env     map[string]string
		want    Config
		wantErr string
	}{
		{"defaults", nil, def, ""},
		{"set", map[string]string{"HALYARD_LAME_DUCK": "0s", "HALYARD_HTTP_WRITE_TIMEOUT": "5m"},
			Config{time.Second, 2 * time.Second, 5 * time.Minute, 4 * time.Second, 0, 6 * time.Second}, ""},
		{"every bad one named", map[string]string{"HALYARD_LAME_DUCK": "5", "HALYARD_SHUTDOWN_TIMEOUT": "soon"}, def,
			`HALYARD_LAME_DUCK: "5" is not a duration (like 5s or 250ms)` + "\n" +
				`HALYARD_SHUTDOWN_TIMEOUT: "soon" is not a duration (like 5s or 250ms)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ConfigFromEnv(func(k string) string { return tc.env[k] }, def)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ConfigFromEnv mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantErr, errString(err)); diff != "" {
				t.Errorf("ConfigFromEnv error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	ok := Auxiliary
	ok.ShutdownTimeout = time.Second
	if err := ok.Validate(); err != nil {
		t.Fatalf("Validate(%+v) = %v", ok, err)
	}
	bad := Config{LameDuck: -time.Second, ReadTimeout: time.Second}
	want := "HALYARD_HTTP_READ_HEADER_TIMEOUT must be positive\nHALYARD_HTTP_WRITE_TIMEOUT must be positive\n" +
		"HALYARD_HTTP_IDLE_TIMEOUT must be positive\nHALYARD_LAME_DUCK must be positive\nHALYARD_SHUTDOWN_TIMEOUT must be positive"
	if diff := cmp.Diff(want, errString(bad.Validate())); diff != "" {
		t.Errorf("Validate mismatch (-want +got):\n%s", diff)
	}
}

func TestHelpNamesEveryVariable(t *testing.T) {
	help := Help(Auxiliary)
	for _, s := range settings {
		if !strings.Contains(help, s.env) {
			t.Errorf("Help does not document %s:\n%s", s.env, help)
		}
	}
	if !strings.Contains(help, "(default 30s)") {
		t.Errorf("Help does not show the defaults:\n%s", help)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
