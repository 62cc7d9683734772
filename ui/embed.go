//go:build ui

package ui

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Built reports whether Assets holds the real UI (true) or the stub page (false).
const Built = true

// Assets is the built UI: index.html at its root and hashed files under assets/.
func Assets() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // dist is a literal directory embedded above
	}
	return sub
}
