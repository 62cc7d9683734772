// Package snapdir keeps the evaluator's snapshots on disk (HALYARD_SNAPSHOT_DIR), so that an evaluator
// started while NATS is unreachable can serve the state it last had instead of nothing.
//
// The directory holds one file per environment (env-<id>.snap) and the writers' catalog (catalog.snap),
// each the wire encoding framed with a checksum (file.go). Files are replaced atomically: written to a
// temporary file, synced, renamed over the old one, and the directory synced. A Dir writes from one
// goroutine that follows the store's change feed, so bursts of changes coalesce to the latest version of
// each environment and the request path never waits for the disk (writer.go). At start, Load refuses any
// file that is corrupt, of another format or of another environment, logging and counting each (load.go).
package snapdir
