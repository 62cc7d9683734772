package snapdir

// Why a snapshot file was not written or not used.
const (
	ReasonWrite            = "write"             // it could not be written (disk full, permissions, …)
	ReasonRead             = "read"              // it could not be read
	ReasonCorrupt          = "corrupt"           // truncated, checksum mismatch, or not a snapshot inside
	ReasonFormat           = "format"            // a file or snapshot format this build does not read
	ReasonWrongEnvironment = "wrong_environment" // the snapshot inside is another environment's than its name says
)

// Reasons lists every failure reason, for metrics to create their series up front.
var Reasons = []string{ReasonWrite, ReasonRead, ReasonCorrupt, ReasonFormat, ReasonWrongEnvironment}

// Observer is told what the directory does (metrics).
type Observer interface {
	Loaded()              // a snapshot was read back from disk and applied at start
	Written()             // a file (a snapshot or the catalog) was written
	Failed(reason string) // a file was not written or not used, for reason (one of Reasons)
}

type nopObserver struct{}

func (nopObserver) Loaded()       {}
func (nopObserver) Written()      {}
func (nopObserver) Failed(string) {}
