package httpapi

import (
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
	ctx := c.Request().Context()
	version, err := s.Events.store.EnvironmentVersion(ctx, envID)
	if err != nil {
		return err
	}
	sub, ok := s.Events.subscribe(envID, version)
	if !ok {
		return apperr.New(apperr.Unavailable, "shutting_down", "the writer is shutting down; reconnect to another")
	}
	defer s.Events.unsubscribe(sub)

	w := c.Response()
	w.Header().Set(echo.HeaderContentType, "text/event-stream")
	w.Header().Set(echo.HeaderCacheControl, "no-cache")
	w.Header().Set("X-Accel-Buffering", "no") // proxies that buffer (nginx) pass each event on at once
	w.WriteHeader(http.StatusOK)
	flush := http.NewResponseController(w.Writer).Flush
	sent := sub.feed.version.Load()
	if err := writeVersionEvent(w, envID, sent); err != nil || flush() != nil {
		return nil // the client went away
	}
	heartbeat := time.NewTicker(s.Events.heartbeat)
	defer heartbeat.Stop()
	for {
		var err error
		select {
		case <-ctx.Done():
			return nil
		case <-s.Events.done:
			return nil
		case <-sub.changed:
			v := sub.feed.version.Load()
			if v <= sent {
				continue
			}
			sent, err = v, writeVersionEvent(w, envID, v)
			heartbeat.Reset(s.Events.heartbeat)
		case <-heartbeat.C:
			_, err = w.Write([]byte(": heartbeat\n\n"))
		}
		if err != nil || flush() != nil {
			return nil
		}
	}
}

func writeVersionEvent(w http.ResponseWriter, envID, version int64) error {
	_, err := fmt.Fprintf(w, "event: version\ndata: {\"environment_id\":%d,\"version\":%d}\n\n", envID, version)
	return err
}
