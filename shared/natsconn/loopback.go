package natsconn

import (
	"net"
	"net/url"
	"strings"
)

// OnLoopback reports whether a process listening on listenAddr and connecting to the NATS servers of
// natsURLs runs entirely on loopback: the condition under which the services accept their test-only
// settings (":8080" listens on every interface, so it is not).
func OnLoopback(listenAddr, natsURLs string) bool {
	host, _, err := net.SplitHostPort(listenAddr)
	if err != nil || !loopbackHost(host) {
		return false
	}
	for _, u := range strings.Split(natsURLs, ",") {
		p, err := url.Parse(strings.TrimSpace(u))
		if err != nil || !loopbackHost(p.Hostname()) {
			return false
		}
	}
	return true
}

func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
