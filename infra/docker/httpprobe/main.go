// Command httpprobe is the health check of the images that have no shell and no HTTP client: it GETs each
// URL given and exits 0 only when every one answers 2xx within the timeout. The NATS image (scratch) and the
// Debian-based PostgreSQL, HAProxy and Prometheus images run it from their HEALTHCHECK.
//
//	httpprobe [-timeout 2s] URL...
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

func main() {
	timeout := flag.Duration("timeout", 2*time.Second, "how long each URL may take to answer")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: httpprobe [-timeout 2s] URL...")
		os.Exit(2)
	}
	for _, url := range flag.Args() {
		if err := probe(context.Background(), url, *timeout); err != nil {
			fmt.Fprintln(os.Stderr, "httpprobe:", err)
			os.Exit(1)
		}
	}
}

// probe GETs url and returns nil when it answers 2xx.
func probe(ctx context.Context, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("GET %s: HTTP %d %s", url, resp.StatusCode, body)
	}
	return nil
}
