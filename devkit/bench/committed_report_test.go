package bench

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCommittedReportIsWhatTheGeneratorWrites: docs/benchmarks.md is exactly what WriteMarkdown renders from
// docs/benchmarks.json and docs/benchmarks-history.json, which make bench writes with it. A change to the
// report's text must come with the committed report edited (or rewritten by make bench) to match.
func TestCommittedReportIsWhatTheGeneratorWrites(t *testing.T) {
	docs := filepath.Join("..", "..", "docs")
	var r Report
	readJSON(t, filepath.Join(docs, "benchmarks.json"), &r)
	h, err := ReadHistory(filepath.Join(docs, "benchmarks-history.json"))
	if err != nil {
		t.Fatal(err)
	}
	r.History = h
	var got bytes.Buffer
	if err := r.WriteMarkdown(&got); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(docs, "benchmarks.md"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got.String()); diff != "" {
		t.Errorf("docs/benchmarks.md mismatch (-want +got):\n%s", diff)
	}
}

func readJSON(tb testing.TB, path string, v any) {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
}
