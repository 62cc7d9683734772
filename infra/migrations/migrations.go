// Package migrations embeds Halyard's numbered SQL migrations so the writer applies them on start.
//
// Files are named NNNN_description.up.sql and are applied in order, each once, in its own transaction.
// A migration, once released, is never edited: a change is a new file.
package migrations

import "embed"

// FS holds every *.sql migration.
//
//go:embed *.sql
var FS embed.FS
