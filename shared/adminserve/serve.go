package adminserve

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/halyard-flags/halyard/shared/httpserve"
)

// Off is the HALYARD_ADMIN_ADDR value that disables the admin listener.
const Off = "off"

// Serve serves h on addr until ctx ends, as httpserve.Serve does; bound, if set, receives the address.
// With addr Off it serves nothing and returns nil at once.
func Serve(ctx context.Context, addr string, h http.Handler, bound func(net.Addr)) error {
	if addr == Off {
		return nil
	}
	// Scrapes and status reads are short; nothing is worth holding the shutdown for long.
	return httpserve.Serve(ctx, addr, h, 2*time.Second, bound)
}
