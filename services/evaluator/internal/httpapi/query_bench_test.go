package httpapi

import (
	"net/url"
	"testing"
)

// sdkQueries are the queries SDKs send to /flags: server SDKs' and posthog-js's (with a compressed body, and
// with compression off, as BenchmarkFlagsBrowserQuery_50 sends it).
var sdkQueries = map[string]string{
	"server":          "v=2",
	"posthog-js":      "v=2&config=true&ip=0&_=1764000000000&ver=1.200.0&compression=base64",
	"posthog-js-json": "v=2&config=true&ip=0&_=1764000000000&ver=1.200.0",
}

var (
	querySink string
	// queryCache stands for echo's context, which keeps the parsed url.Values for the request's later reads.
	queryCache = &struct{ query url.Values }{}
)

// BenchmarkQueryParams compares the reads of one /flags request (config and v twice each, then pretty) through
// queryParam with the plain alternative, url.ParseQuery once per request as echo's c.QueryParam does.
func BenchmarkQueryParams(b *testing.B) {
	for name, raw := range sdkQueries {
		b.Run("scanner/"+name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				q := queryGetter(raw)
				_, pretty := queryParam(raw, "pretty")
				querySink = q("config") + q("v") + q("v") + q("config")
				_ = pretty
			}
		})
		b.Run("url.Values/"+name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				queryCache.query, _ = url.ParseQuery(raw)
				vals := queryCache.query
				_, pretty := vals["pretty"]
				querySink = vals.Get("config") + vals.Get("v") + vals.Get("v") + vals.Get("config")
				_ = pretty
			}
		})
	}
}
