package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/halyard-flags/halyard/shared/apperr"
	"github.com/labstack/echo/v4"
)

// environmentEvents streams the environment's version as server-sent events: one "version" event on
// connect, one each time the version changes, and a heartbeat comment when nothing was sent for a while.
// A client refetches what it shows on each event. The stream ends when the client goes away or the writer
// shuts down; clients reconnect.
func (s *Server) environmentEvents(c echo.Context) error {
	envID, err := pathInt64(c, "env_id")
	if err != nil {
		return err
	}
	if s.Events == nil {
		return apperr.New(apperr.Unavailable, "events_unavailable", "this writer does not stream events")
	}
	version, err := s.Events.store.EnvironmentVersion(c.Request().Context(), envID)
	if err != nil {
		return err
	}
	sub, ok := s.Events.subscribe(envID, version)
	if !ok {
		return apperr.New(apperr.Unavailable, "shutting_down", "the writer is shutting down; reconnect to another")
	}
	defer s.Events.unsubscribe(sub)
	s.Events.stream(c.Request().Context(), c.Response(), sub)
	return nil
}

// stream writes sub's events to w until the client goes away or the feed ends.
func (f *VersionFeed) stream(ctx context.Context, w *echo.Response, sub *subscription) {
	w.Header().Set(echo.HeaderContentType, "text/event-stream")
	w.Header().Set(echo.HeaderCacheControl, "no-cache")
	w.Header().Set("X-Accel-Buffering", "no") // proxies that buffer (nginx) pass each event on at once
	rc := http.NewResponseController(w.Writer)
	// A stream outlives the server's write timeout, which is meant for ordinary answers: it ends when the
	// client goes, the feed ends or the writer stops, and heartbeats find a dead client.
	_ = rc.SetWriteDeadline(time.Time{})
	w.WriteHeader(http.StatusOK)
	flush := rc.Flush
	sent := sub.feed.version.Load()
	if err := writeVersionEvent(w, sub.envID, sent); err != nil || flush() != nil {
		return // the client went away
	}
	heartbeat := time.NewTicker(f.heartbeat)
	defer heartbeat.Stop()
	for {
		var err error
		select {
		case <-ctx.Done():
			return
		case <-f.done:
			return
		case <-sub.changed:
			v := sub.feed.version.Load()
			if v <= sent {
				continue
			}
			sent, err = v, writeVersionEvent(w, sub.envID, v)
			heartbeat.Reset(f.heartbeat)
		case <-heartbeat.C:
			_, err = w.Write([]byte(": heartbeat\n\n"))
		}
		if err != nil || flush() != nil {
			return
		}
	}
}

func writeVersionEvent(w http.ResponseWriter, envID, version int64) error {
	_, err := fmt.Fprintf(w, "event: version\ndata: {\"environment_id\":%d,\"version\":%d}\n\n", envID, version)
	return err
}
