//go:build !ui

package ui

import (
	"io/fs"
	"strings"
	"testing"
)

// Without the ui tag the writer still gets an index.html, and it says how to build the real one.
func TestStubSaysHowToBuild(t *testing.T) {
	if Built {
		t.Fatal("Built is true without the ui build tag")
	}
	b, err := fs.ReadFile(Assets(), "index.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"npm ci", "npm run build", "-tags ui"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the stub page does not mention %q", want)
		}
	}
}
