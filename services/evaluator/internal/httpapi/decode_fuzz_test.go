package httpapi

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/halyard-flags/halyard/shared/badinput"
)

// Fuzz targets of the request decoders besides parseJSON (jsonparse_test.go): the PostHog body in every
// encoding it comes in, the OFREP context, and the Halyard-Min-Version header. Whatever the input, each
// ends as a value or a client error (4xx), never a panic or a server error. `make test` runs the seeds;
// `make fuzz` runs each for a while.

func FuzzDecodeFlagsRequest(f *testing.F) {
	for _, in := range badinput.Corpus(MaxBodyBytes) {
		if len(in.Body) < 4096 {
			f.Add(in.Body, in.ContentType, in.ContentEncoding, in.Query)
		}
	}
	f.Add([]byte(`{"token":"phc","distinct_id":42.0,"groups":{"company":true},"person_properties":{"a":[1]}}`), "application/json", "", "v=2")
	f.Add([]byte(`data=eyJ0b2tlbiI6InBoYyIsImRpc3RpbmN0X2lkIjoiYSJ9`), "application/x-www-form-urlencoded", "", "")
	f.Add([]byte(`eyJ0b2tlbiI6InBoYyIsImRpc3RpbmN0X2lkIjoiYSJ9`), "text/plain", "", "compression=base64")
	f.Fuzz(func(t *testing.T, body []byte, contentType, contentEncoding, query string) {
		req := httptest.NewRequest(http.MethodPost, "/flags", nil)
		req.URL.RawQuery = url.PathEscape(query)
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Content-Encoding", contentEncoding)
		r, err := decodeFlagsRequest(req, body)
		if err == nil {
			_, err = evalContext(r)
		}
		if err == nil {
			_, err = r.flagKeys()
		}
		if err == nil {
			_, err = r.evaluationContexts()
		}
		if err != nil {
			if status := statusOf(apperr.KindOf(err)); status < 400 || status >= 500 {
				t.Fatalf("decoding %q (%s, %s, ?%s): %v is a %d, want a 4xx", body, contentType, contentEncoding, query, err, status)
			}
		}
	})
}

func FuzzOFREPContext(f *testing.F) {
	for _, in := range badinput.Corpus(MaxBodyBytes) {
		if len(in.Body) < 4096 {
			f.Add(in.Body)
		}
	}
	f.Add([]byte(`{"context":{"targetingKey":"u1","groups":{"company":"acme"},"groupProperties":{"company":{"size":3}},"deviceId":"d","email":"a@b"}}`))
	f.Add([]byte(`{"context":{"targetingKey":7}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ctx, err := ofrepContext(body)
		var oe *ofrepErr
		switch {
		case err == nil && (ctx == nil || ctx.DistinctID == ""):
			t.Fatalf("ofrepContext(%q) = %+v without a targeting key", body, ctx)
		case err != nil && !errors.As(err, &oe):
			t.Fatalf("ofrepContext(%q): %v is not an OFREP error", body, err)
		case err != nil && (oe.status < 400 || oe.status >= 500 || oe.code == ""):
			t.Fatalf("ofrepContext(%q): %d %q, want a 4xx with an error code", body, oe.status, oe.code)
		}
	})
}

func FuzzMinVersion(f *testing.F) {
	for _, s := range []string{"7", " 12 ", "-1", "9223372036854775808", "1e3", "", "0x10"} {
		f.Add(s, "")
		f.Add("", s)
	}
	f.Fuzz(func(t *testing.T, header, query string) {
		req := httptest.NewRequest(http.MethodGet, "/flags", nil)
		req.URL.RawQuery = queryMinVersion + "=" + url.QueryEscape(query)
		if header != "" {
			req.Header[headerMinVersion] = []string{header}
		}
		want, asked, err := minVersion(req)
		switch {
		case err != nil && statusOf(apperr.KindOf(err)) != http.StatusBadRequest:
			t.Fatalf("minVersion(%q, %q): %v, want a 400", header, query, err)
		case err == nil && asked && want < 0:
			t.Fatalf("minVersion(%q, %q) = %d", header, query, want)
		case err == nil && !asked && strings.TrimSpace(header+query) != "" && header != "":
			t.Fatalf("minVersion(%q, %q) ignored the header", header, query)
		}
	})
}
