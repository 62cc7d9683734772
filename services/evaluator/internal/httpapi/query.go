package httpapi

import (
	"net/url"
	"strings"
)

// queryParam is url.ParseQuery(raw) looked up for one name: the first value and whether the name is present,
// as url.Values' Get and a map lookup give them. The SDK routes read a few parameters per request; parsing
// the whole query into url.Values (echo's QueryParam) costs a map and its slices each time. Pairs ParseQuery
// rejects (a ';' in them, a malformed escape in the name or the value) are skipped as it skips them.
func queryParam(raw, name string) (value string, present bool) {
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" || strings.Contains(pair, ";") {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, err := url.QueryUnescape(k)
		if err != nil || k != name {
			continue
		}
		if v, err = url.QueryUnescape(v); err != nil {
			continue
		}
		return v, true
	}
	return "", false
}

// queryGetter is c.QueryParam over a raw query: the first value of a name, "" when absent.
func queryGetter(raw string) func(string) string {
	return func(name string) string {
		v, _ := queryParam(raw, name)
		return v
	}
}
