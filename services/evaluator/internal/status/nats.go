package status

import (
	"context"
	"sync"
	"time"

	"github.com/halyard-flags/halyard/shared/logging"
	"github.com/nats-io/nats.go"
)

// NATS is the connection's state in a Report.
type NATS struct {
	Connected bool   `json:"connected"`
	URL       string `json:"url"` // the server connected to, else the configured list; credentials masked
	LastError string `json:"last_error"`
	// Reconnects since the process started.
	Reconnects uint64 `json:"reconnects"`
	// DisconnectedSince is set while not connected.
	DisconnectedSince *time.Time `json:"disconnected_since,omitempty"`
}

// NATSWatch follows a connection's status changes, to say since when it is disconnected. It listens
// through nats.Conn.StatusChanged, so it needs none of the connection's handlers, which the process's
// logging owns.
type NATSWatch struct {
	nc  *nats.Conn
	url string // configured

	mu    sync.Mutex
	since time.Time // zero while connected
}

// WatchNATS follows nc until ctx ends. url is the configured server list.
func WatchNATS(ctx context.Context, nc *nats.Conn, url string) *NATSWatch {
	w := &NATSWatch{nc: nc, url: url}
	changes := nc.StatusChanged()
	if !nc.IsConnected() {
		w.since = time.Now()
	}
	go func() {
		defer nc.RemoveStatusListener(changes)
		for {
			select {
			case <-ctx.Done():
				return
			case s, ok := <-changes:
				if !ok {
					return
				}
				w.changed(s == nats.CONNECTED)
			}
		}
	}()
	return w
}

func (w *NATSWatch) changed(connected bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case connected:
		w.since = time.Time{}
	case w.since.IsZero():
		w.since = time.Now()
	}
}

// State is the connection's state now.
func (w *NATSWatch) State() NATS {
	s := NATS{Connected: w.nc.IsConnected(), URL: w.nc.ConnectedUrl(), Reconnects: w.nc.Stats().Reconnects}
	if s.URL == "" {
		s.URL = w.url
	}
	s.URL = logging.RedactNATS(s.URL)
	if err := w.nc.LastError(); err != nil {
		s.LastError = err.Error()
	}
	if !s.Connected {
		w.mu.Lock()
		since := w.since
		w.mu.Unlock()
		if since.IsZero() { // disconnected, and the event not read yet
			since = time.Now()
		}
		s.DisconnectedSince = &since
	}
	return s
}
