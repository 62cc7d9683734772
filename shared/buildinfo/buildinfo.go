// Package buildinfo says which build of Halyard is running: the version, commit and build time that
// `make build` and the images set with -ldflags, falling back to what the Go toolchain recorded (the VCS
// revision of a plain `go build` in a checkout) and to "dev".
package buildinfo

import (
	"runtime"
	"runtime/debug"
)

// Set with -ldflags "-X github.com/halyard-flags/halyard/shared/buildinfo.Version=…" (and Commit, Time).
var (
	Version = ""
	Commit  = ""
	Time    = ""
)

// Info is one build's identity, as `-version`, `GET /version` and the halyard_build_info metric show it.
type Info struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
	Time    string `json:"build_time,omitempty"`
	Go      string `json:"go"`
}

// Get returns this binary's build information.
func Get() Info {
	return from(Version, Commit, Time, readBuildInfo)
}

func readBuildInfo() (*debug.BuildInfo, bool) { return debug.ReadBuildInfo() }

func from(version, commit, built string, read func() (*debug.BuildInfo, bool)) Info {
	in := Info{Version: version, Commit: commit, Time: built, Go: runtime.Version()}
	if bi, ok := read(); ok {
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && in.Commit == "":
				in.Commit = s.Value
			case s.Key == "vcs.time" && in.Time == "":
				in.Time = s.Value
			}
		}
		if in.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			in.Version = bi.Main.Version
		}
	}
	if in.Version == "" {
		in.Version = "dev"
	}
	if in.Commit == "" {
		in.Commit = "unknown"
	}
	return in
}

// String is the one line `-version` prints.
func (in Info) String() string {
	s := in.Version + " (commit " + in.Commit
	if in.Time != "" {
		s += ", built " + in.Time
	}
	return s + ", " + in.Go + ")"
}
