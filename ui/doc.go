// Package ui holds the admin web UI's built assets for the writer to serve. Built with the build tag ui, it
// embeds dist/ (made by `npm ci && npm run build` in this directory); without the tag it embeds a one-page
// stub that says how to build them, so a plain `go build` of the writer still works.
package ui
