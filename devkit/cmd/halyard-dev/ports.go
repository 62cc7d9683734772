package main

import (
	"fmt"
	"net"
	"strings"
)

// checkFree fails naming every address of addrs something already listens on, so a run refuses before it
// starts anything rather than after it built and started half a cluster.
func checkFree(addrs ...string) error {
	var taken []string
	for _, addr := range addrs {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			taken = append(taken, addr)
			continue
		}
		ln.Close()
	}
	if len(taken) > 0 {
		return fmt.Errorf("%s already in use: is another halyard-dev running? (WRITER_ADDR and EVALUATOR_ADDRS pick other addresses)",
			strings.Join(taken, ", "))
	}
	return nil
}
