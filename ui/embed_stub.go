//go:build !ui

package ui

import (
	"embed"
	"io/fs"
)

//go:embed stub
var stub embed.FS

// Built reports whether Assets holds the real UI (true) or the stub page (false).
const Built = false

// Assets is a single index.html saying how to build the real UI into the writer.
func Assets() fs.FS {
	sub, err := fs.Sub(stub, "stub")
	if err != nil {
		panic(err) // stub is a literal directory embedded above
	}
	return sub
}
