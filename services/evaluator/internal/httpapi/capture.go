package httpapi

import (
	"io"
	"net/http"

	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/labstack/echo/v4"
)

// posthog-js sends events, session recordings, logs and metrics to the host it flags from (api_host). The
// evaluator ingests none of them, but an SDK pointed at it must not fill its console with failed requests:
// these routes accept what PostHog's capture service accepts and discard it, answering as PostHog does.

// capturePaths are PostHog's ingestion routes: events (/e, /i/v0/e, /batch, /capture and the older /track
// and /engage), session recordings (/s) and the OpenTelemetry logs and metrics posthog-js can send.
var capturePaths = []string{"/e", "/i/v0/e", "/batch", "/capture", "/track", "/engage", "/s",
	"/i/v1/logs", "/i/v1/metrics"}

// maxDiscardBytes bounds a body the sink reads to discard: above PostHog's own limits (20 MB for a
// recording), so nothing an SDK sends is refused, yet a client cannot keep a connection busy forever.
const maxDiscardBytes = 32 << 20

// captureAccepted is PostHog capture's answer to an accepted batch.
var captureAccepted = []byte(`{"status":1}` + "\n")

// capture reads the body to its end, so the connection stays usable, and throws it away.
func capture(c echo.Context) error {
	n, err := io.Copy(io.Discard, io.LimitReader(c.Request().Body, maxDiscardBytes+1))
	if err != nil {
		return apperr.New(apperr.BadRequest, "failed_to_read_body", "the request body could not be read")
	}
	if n > maxDiscardBytes {
		return apperr.New(apperr.TooLarge, "body_too_large", "the request body is larger than 32 MiB")
	}
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, captureAccepted)
}
