package webui_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/halyard-flags/halyard/services/writer/internal/httpapi"
	"github.com/halyard-flags/halyard/services/writer/internal/webui"
	"go.uber.org/zap"
)

var bigScript = strings.Repeat("console.log('halyard');\n", 100)

// newServer is the admin API with the UI mounted, as the writer serves them.
func newServer(tb testing.TB) http.Handler {
	tb.Helper()
	assets := fstest.MapFS{
		"index.html":         {Data: []byte(`<!doctype html><head><meta name="halyard-evaluator-url" content=""></head><div id="root"></div>`)},
		"assets/app-1a2b.js": {Data: []byte(bigScript)},
		"favicon.svg":        {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)},
	}
	e := (&httpapi.Server{Log: zap.NewNop()}).Handler()
	if err := webui.Mount(e, assets, webui.Options{EvaluatorURL: `https://flags.example.com/?a="b"`}); err != nil {
		tb.Fatal(err)
	}
	return e
}

type answer struct {
	Status      int
	ContentType string
	Body        string
}

func TestRoutes(t *testing.T) {
	h := newServer(t)
	index := `<!doctype html><head><meta name="halyard-evaluator-url" content="https://flags.example.com/?a=&#34;b&#34;"></head><div id="root"></div>`
	for _, tc := range []struct {
		method, path string
		want         answer
	}{
		{"GET", "/", answer{200, "text/html; charset=utf-8", index}},
		{"GET", "/environments/3/flags/new-checkout", answer{200, "text/html; charset=utf-8", index}},
		{"GET", "/index.html", answer{200, "text/html; charset=utf-8", index}},
		{"GET", "/assets/app-1a2b.js", answer{200, "text/javascript; charset=utf-8", bigScript}},
		{"GET", "/assets/app-gone.js", answer{404, "text/plain; charset=UTF-8", "not found\n"}},
		{"GET", "/favicon.svg", answer{200, "image/svg+xml", `<svg xmlns="http://www.w3.org/2000/svg"/>`}},
		{"GET", "/api/v1/nope", answer{404, "application/json", `{"code":"route_not_found","message":"no such route"}` + "\n"}},
		{"GET", "/api", answer{404, "application/json", `{"code":"route_not_found","message":"no such route"}` + "\n"}},
		{"POST", "/api/v1/openapi.json", answer{405, "application/json", `{"code":"method_not_allowed","message":"method not allowed on this route"}` + "\n"}},
		{"GET", "/healthz", answer{200, "application/json", `{"status":"ok"}` + "\n"}},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
			got := answer{rec.Code, rec.Header().Get("Content-Type"), rec.Body.String()}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSecurityHeaders(t *testing.T) {
	h := newServer(t)
	for _, p := range []string{"/", "/flags/x", "/assets/app-1a2b.js", "/assets/missing.js"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", p, nil))
		got := map[string]string{}
		for _, k := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"} {
			got[k] = rec.Header().Get(k)
		}
		want := map[string]string{"Content-Security-Policy": webui.ContentSecurityPolicy, "X-Content-Type-Options": "nosniff",
			"X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: mismatch (-want +got):\n%s", p, diff)
		}
	}
	for _, banned := range []string{"unsafe-inline", "unsafe-eval"} {
		if strings.Contains(webui.ContentSecurityPolicy, banned) {
			t.Errorf("the CSP allows %s", banned)
		}
	}
	if !strings.Contains(webui.ContentSecurityPolicy, "frame-ancestors 'none'") {
		t.Error("the CSP lets other sites frame the UI")
	}
}

// Hashed assets are cached for good and sent gzipped to clients that take it; the page itself is revalidated.
func TestCachingAndCompression(t *testing.T) {
	h := newServer(t)
	req := httptest.NewRequest("GET", "/assets/app-1a2b.js", nil)
	req.Header.Set("Accept-Encoding", "gzip, br")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if got := rec.Header().Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
		t.Errorf("asset Cache-Control = %q", got)
	}
	if rec.Header().Get("Content-Encoding") != "gzip" || rec.Body.Len() >= len(bigScript) {
		t.Fatalf("asset not gzipped: encoding %q, %d bytes", rec.Header().Get("Content-Encoding"), rec.Body.Len())
	}
	zr, err := gzip.NewReader(bytes.NewReader(rec.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(zr); string(b) != bigScript {
		t.Error("gunzipped asset differs from the file")
	}

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if got := rec.Header().Get("Cache-Control"); got != "no-cache" {
		t.Errorf("index Cache-Control = %q", got)
	}
	req = httptest.NewRequest("GET", "/", nil)
	req.Header.Set("If-None-Match", rec.Header().Get("ETag"))
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified {
		t.Errorf("If-None-Match with the ETag: status %d, want 304", rec.Code)
	}
}

func TestMountNeedsIndex(t *testing.T) {
	e := (&httpapi.Server{Log: zap.NewNop()}).Handler()
	if err := webui.Mount(e, fstest.MapFS{"assets/a.js": {Data: []byte("x")}}, webui.Options{}); err == nil {
		t.Fatal("Mount accepted assets without index.html")
	}
}
