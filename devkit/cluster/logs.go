package cluster

import (
	"bytes"
	"io"
	"sync"
)

// prefixed writes each line to w behind "[name] ", so the logs of several processes stay readable together.
func prefixed(w io.Writer, name string) io.Writer {
	if w == io.Discard {
		return w
	}
	return &prefixWriter{w: w, prefix: []byte("[" + name + "] ")}
}

type prefixWriter struct {
	mu      sync.Mutex
	w       io.Writer
	prefix  []byte
	partial []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.partial = append(p.partial, b...)
	for {
		i := bytes.IndexByte(p.partial, '\n')
		if i < 0 {
			return len(b), nil
		}
		line := append(append([]byte{}, p.prefix...), p.partial[:i+1]...)
		if _, err := p.w.Write(line); err != nil {
			return 0, err
		}
		p.partial = p.partial[i+1:]
	}
}
