package httpapi

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/shared/apperr"
)

func TestParseMembers(t *testing.T) {
	tests := []struct {
		name, ctype, body string
		want              []string
		wantKind          apperr.Kind
	}{
		{"json list", "application/json", `["a","b"]`, []string{"a", "b"}, 0},
		{"json object", "application/json; charset=utf-8", `{"members":["a"]}`, []string{"a"}, 0},
		{"json unknown field", "application/json", `{"people":["a"]}`, nil, apperr.BadRequest},
		{"csv with header", "text/csv", "distinct_id,name\nu1,Ada\n\"u,2\",Bob\n", []string{"u1", "u,2"}, 0},
		{"csv without header", "text/csv", "u1\r\nu2\r\n\r\n", []string{"u1", "u2"}, 0},
		{"csv broken quote", "text/csv", "\"u1\n", nil, apperr.BadRequest},
		{"xml", "application/xml", "<a/>", nil, apperr.BadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseMembers(tt.ctype, []byte(tt.body))
			if tt.wantKind != 0 {
				if apperr.KindOf(err) != tt.wantKind {
					t.Fatalf("error %v, want kind %v", err, tt.wantKind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMergePatch(t *testing.T) {
	tests := []struct{ doc, patch, want string }{
		{`{"a":1,"b":{"c":2,"d":3}}`, `{"b":{"c":null,"e":4}}`, `{"a":1,"b":{"d":3,"e":4}}`},
		{`{"a":[1,2]}`, `{"a":[3]}`, `{"a":[3]}`},
		{`{"a":1}`, `{"a":null}`, `{}`},
	}
	for _, tt := range tests {
		got, err := mergePatch([]byte(tt.doc), []byte(tt.patch))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tt.want {
			t.Errorf("mergePatch(%s, %s) = %s, want %s", tt.doc, tt.patch, got, tt.want)
		}
	}
}
