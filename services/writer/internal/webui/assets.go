package webui

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"io/fs"
	"mime"
	"path"
	"strings"
)

// asset is one file ready to serve: its bytes, their gzip form when that is smaller, and an ETag.
type asset struct {
	body, gzipped []byte
	contentType   string
	etag          string
	immutable     bool // a hashed file under assets/: cacheable forever
}

// evaluatorMeta is the placeholder in index.html that carries the evaluator URL to the UI's SDK snippets.
const evaluatorMeta = `<meta name="halyard-evaluator-url" content="">`

// load reads every file of assets once. index.html gets the evaluator URL in its meta tag.
func load(assets fs.FS, evaluatorURL string) (map[string]*asset, error) {
	files := map[string]*asset{}
	err := fs.WalkDir(assets, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(assets, p)
		if err != nil {
			return err
		}
		if p == "index.html" {
			b = bytes.Replace(b, []byte(evaluatorMeta), []byte(`<meta name="halyard-evaluator-url" content="`+html.EscapeString(evaluatorURL)+`">`), 1)
		}
		files[p] = newAsset(p, b)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("webui: read assets: %w", err)
	}
	if files["index.html"] == nil {
		return nil, fmt.Errorf("webui: the assets have no index.html")
	}
	return files, nil
}

func newAsset(p string, b []byte) *asset {
	sum := sha256.Sum256(b)
	a := &asset{body: b, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, immutable: strings.HasPrefix(p, "assets/")}
	if a.contentType = mime.TypeByExtension(path.Ext(p)); a.contentType == "" {
		a.contentType = "application/octet-stream"
	}
	if len(b) > 512 {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(b)
		_ = zw.Close()
		if buf.Len() < len(b) {
			a.gzipped = buf.Bytes()
		}
	}
	return a
}
