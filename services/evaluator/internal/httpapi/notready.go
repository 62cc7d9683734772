package httpapi

// errNotReady answers a key this evaluator does not know while it has not caught up: the key may belong to an
// environment it has not received yet, so "invalid key" would be a lie. It becomes 503 not_ready with
// Retry-After (PostHog's and OFREP's error shapes); a complete evaluator answers an unknown key 401/403.
var errNotReady = &notReady{}

type notReady struct{}

func (*notReady) Error() string {
	return "this evaluator has not received every environment yet; retry shortly or ask another replica"
}

// notReadyRetryAfter is the Retry-After of a 503 not_ready: catching up takes about a second.
const notReadyRetryAfter = "1"

// unknownKey is the error for a key found in no environment: errNotReady until the evaluator is ready,
// then invalid.
func (s *Server) unknownKey(invalid error) error {
	if s.Ready != nil && !s.Ready.Load() {
		return errNotReady
	}
	return invalid
}
