package httpapi

import (
	"strings"
	"testing"

	"github.com/halyard-flags/halyard/shared/apperr"
)

// TestDecodeErrorsNameFieldsNotGoTypes: a body of the wrong shape is refused with the JSON path of the field
// and the JSON type expected there, never Go's type or struct names.
func TestDecodeErrorsNameFieldsNotGoTypes(t *testing.T) {
	tests := []struct {
		name, body string
		decode     func([]byte) error
		want       string // the message, which must contain this
	}{
		{"flag key", `{"key": 1}`, flagDoc, "key: expected a string"},
		{"nested number", `{"key": "k", "filters": {"groups": [{"rollout_percentage": "half"}]}}`, flagDoc,
			"filters.groups.rollout_percentage: expected a number"},
		{"property key", `{"key": "k", "filters": {"groups": [{"properties": [{"key": true}]}]}}`, flagDoc,
			"filters.groups.properties.key: expected a string"},
		{"active", `{"key": "k", "active": "yes"}`, flagDoc, "active: expected true or false"},
		{"tags", `{"key": "k", "tags": "a"}`, flagDoc, "tags: expected an array"},
		{"not an object", `[1]`, flagDoc, "expected an object"},
		{"syntax", `{"key": }`, flagDoc, "invalid JSON at byte 9"},
		{"truncated", `{"key": "k"`, flagDoc, "the body ends before its JSON value does"},
		{"empty", ``, flagDoc, "the body is empty"},
		{"import not an object", `[]`, importDoc, "expected an object"},
		{"import format", `{"format": 1}`, importDoc, "format: expected a string"},
		{"posthog flags", `{"flags": {}}`, importDoc, "flags: expected an array"},
		{"posthog flag key", `{"flags": [{"id": 1, "key": 7}]}`, importDoc, "flags.key: expected a string"},
		{"posthog group type", `{"flags": [], "group_type_mapping": {"x": "company"}}`, importDoc, "group_type_mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.decode([]byte(tt.body))
			if err == nil {
				t.Fatal("accepted")
			}
			msg := apperr.As(err).Message
			if !strings.Contains(msg, tt.want) {
				t.Errorf("message %q, want it to contain %q", msg, tt.want)
			}
			for _, leak := range []string{"Go ", "struct", "json:", "flagDocument", "flag.", "postgres.", "unmarshal"} {
				if strings.Contains(msg, leak) {
					t.Errorf("message %q shows %q", msg, leak)
				}
			}
		})
	}
}

func flagDoc(b []byte) error {
	var d flagDocument
	return decodeStrict(b, &d)
}

func importDoc(b []byte) error {
	_, err := parseImport(b)
	return err
}
