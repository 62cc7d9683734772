package httpapi

import (
	"net/url"
	"testing"
)

var querySeeds = []string{
	"", "v=2", "v=2&config=true", "v=1&v=3", "config", "pretty", "pretty=&v=", "v=%32", "v=2;x=1&v=3",
	"v%=1&v=4", "v=%zz&v=5", "%76=6", "v+=1&v=7", "v=a+b", "&&v=8&", "=9&v=10", "compression=gzip-js&v=2",
	"v=2&compression=GZIP", "ver=2&v", "v=2=3", "x=%&v=11",
}

// TestQueryParam: queryParam answers what url.ParseQuery's Values do (Get, presence) for every name.
func TestQueryParam(t *testing.T) {
	for _, raw := range querySeeds {
		checkQueryParam(t, raw)
	}
}

// FuzzQueryParam: the same over arbitrary queries.
func FuzzQueryParam(f *testing.F) {
	for _, s := range querySeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) { checkQueryParam(t, raw) })
}

func checkQueryParam(t *testing.T, raw string) {
	t.Helper()
	vals, _ := url.ParseQuery(raw)
	names := []string{"v", "config", "pretty", "compression", "", "v ", "x"}
	for k := range vals {
		names = append(names, k)
	}
	for _, name := range names {
		_, wantPresent := vals[name]
		got, present := queryParam(raw, name)
		if got != vals.Get(name) || present != wantPresent {
			t.Errorf("queryParam(%q, %q) = %q, %v; url.Values: %q, %v", raw, name, got, present, vals.Get(name), wantPresent)
		}
	}
}
