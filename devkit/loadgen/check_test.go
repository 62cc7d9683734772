package loadgen

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestCheck: with a Check, the answers it refuses are failures (the last one's reason is LastError), a
// non-2xx it accepts is a success, and every status is still counted.
func TestCheck(t *testing.T) {
	var n atomic.Int64
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		switch n.Add(1) % 3 {
		case 0:
			_, _ = w.Write([]byte("good"))
		case 1:
			_, _ = w.Write([]byte("bad"))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer s.Close()
	check := func(status int, body []byte) error {
		if status == http.StatusOK && string(body) != "good" {
			return errors.New("body " + string(body))
		}
		return nil
	}
	res := Run(context.Background(), Target{Method: http.MethodGet, URL: s.URL, Check: check},
		Config{Rate: 300, Duration: 100 * time.Millisecond, Workers: 1})
	want := &Result{Sent: 30, OK: 20, Errors: 10, Statuses: map[int]uint64{200: 20, 404: 10}, LastError: "body bad"}
	got := &Result{Sent: res.Sent, OK: res.OK, Errors: res.Errors, Statuses: res.Statuses, LastError: res.LastError}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(Histogram{})); diff != "" {
		t.Errorf("Run mismatch (-want +got):\n%s", diff)
	}
}
