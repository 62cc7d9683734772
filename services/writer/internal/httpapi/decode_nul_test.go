package httpapi

import "testing"

func TestContainsNUL(t *testing.T) {
	for _, tc := range []struct {
		body   string
		isJSON bool
		want   bool
	}{
		{`{"name": "plain"}`, true, false},
		{`{"name": "a\u0000b"}`, true, true},
		{`{"name": "a\\u0000b"}`, true, false}, // an escaped backslash, then the text u0000
		{`{"name": "a\\\u0000b"}`, true, true}, // an escaped backslash, then the escape
		{`{"name": "\u00001"}`, true, true},    // at the start of a string
		{`{"name": "a\u0001b"}`, true, false},  // other control characters are storable
		{"{\"name\": \"a\x00b\"}", true, true}, // a raw NUL byte (not valid JSON either)
		{`alice,\u0000`, false, false},         // CSV: the text \u0000 is six characters
		{"alice\x00,bob", false, true},
	} {
		if got := containsNUL([]byte(tc.body), tc.isJSON); got != tc.want {
			t.Errorf("containsNUL(%q, %v) = %v, want %v", tc.body, tc.isJSON, got, tc.want)
		}
	}
}
