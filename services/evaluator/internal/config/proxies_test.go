package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseNetworks(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{"", nil, false},
		{"10.0.0.0/8, 192.168.1.7 ,fd00::/8", []string{"10.0.0.0/8", "192.168.1.7/32", "fd00::/8"}, false},
		{"::1", []string{"::1/128"}, false},
		{"10.0.0.0/33", nil, true},
		{"proxy.internal", nil, true},
	}
	for _, tt := range tests {
		nets, err := parseNetworks(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseNetworks(%q): err %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		var got []string
		for _, n := range nets {
			got = append(got, n.String())
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("parseNetworks(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}
