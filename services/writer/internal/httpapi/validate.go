package httpapi

import (
	"regexp"

	"github.com/halyard-flags/halyard/shared/flag"
)

// flagKeyPattern is the documented key format: PostHog's (letters, digits, '-' and '_'), at most 200 long.
var flagKeyPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,200}$`)

// validateFlag checks what the admin API owns (the key format) and leaves the definition to shared/flag.
func validateFlag(f *flag.Flag) error {
	if !flagKeyPattern.MatchString(f.Key) {
		return invalid("key", "key must be 1-200 letters, digits, '-' or '_'")
	}
	return nil
}
