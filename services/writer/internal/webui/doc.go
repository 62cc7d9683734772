// Package webui serves the admin web UI's built assets on the writer's origin: index.html for every
// client-side route, hashed assets with a long cache life, each precompressed once, and on every response a
// content security policy without inline scripts, nosniff, no framing and no referrer.
package webui
