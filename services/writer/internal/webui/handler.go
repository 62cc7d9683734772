package webui

import (
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"
)

// Options are the writer settings the UI needs.
type Options struct {
	// EvaluatorURL is where SDKs reach an evaluator (HALYARD_EVALUATOR_URL), filled into the SDK snippets.
	EvaluatorURL string
}

// Mount serves the UI from assets at / and every client-side route of e. Paths under /api/ stay the admin
// API's: an unknown one is still its JSON 404, never the UI's page.
func Mount(e *echo.Echo, assets fs.FS, o Options) error {
	files, err := load(assets, o.EvaluatorURL)
	if err != nil {
		return err
	}
	h := handler{files: files}
	for _, p := range []string{"/", "/*"} {
		e.GET(p, h.serve)
		e.HEAD(p, h.serve)
	}
	return nil
}

type handler struct{ files map[string]*asset }

func (h handler) serve(c echo.Context) error {
	p := path.Clean("/" + c.Request().URL.Path)
	if p == "/api" || strings.HasPrefix(p, "/api/") {
		return echo.ErrNotFound
	}
	a, ok := h.files[strings.TrimPrefix(p, "/")]
	switch {
	case ok:
	case path.Ext(p) != "":
		// A missing file (an old hashed asset, a typo): a real 404, not the app in place of a script.
		secure(c.Response().Header())
		return c.String(http.StatusNotFound, "not found\n")
	default: // a client-side route: the app decides what it shows
		a = h.files["index.html"]
	}
	return a.write(c)
}

func (a *asset) write(c echo.Context) error {
	hd := c.Response().Header()
	secure(hd)
	hd.Set(echo.HeaderContentType, a.contentType)
	hd.Set("ETag", a.etag)
	hd.Set(echo.HeaderVary, echo.HeaderAcceptEncoding)
	if a.immutable {
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hd.Set("Cache-Control", "no-cache")
	}
	if c.Request().Header.Get("If-None-Match") == a.etag {
		return c.NoContent(http.StatusNotModified)
	}
	body := a.body
	if a.gzipped != nil && strings.Contains(c.Request().Header.Get(echo.HeaderAcceptEncoding), "gzip") {
		hd.Set(echo.HeaderContentEncoding, "gzip")
		body = a.gzipped
	}
	return c.Blob(http.StatusOK, a.contentType, body)
}
