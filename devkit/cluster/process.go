package cluster

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Build compiles the writer (with writerTags, e.g. ui) and evaluator binaries of the repository at root into
// dir.
func Build(ctx context.Context, root, dir string, writerTags ...string) (writer, evaluator string, err error) {
	writer, evaluator = filepath.Join(dir, "writer"), filepath.Join(dir, "evaluator")
	for bin, pkg := range map[string]string{writer: "./services/writer/cmd/writer", evaluator: "./services/evaluator/cmd/evaluator"} {
		args := []string{"build", "-o", bin}
		if bin == writer && len(writerTags) > 0 {
			args = append(args, "-tags", strings.Join(writerTags, ","))
		}
		cmd := exec.CommandContext(ctx, "go", append(args, pkg)...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", "", fmt.Errorf("cluster.Build %s: %w\n%s", pkg, err, out)
		}
	}
	return writer, evaluator, nil
}

// RepoRoot walks up from the working directory to the directory holding go.work.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("cluster.RepoRoot: no go.work above the working directory")
		}
		dir = parent
	}
}

// Process is a running Halyard binary.
type Process struct {
	Name string
	Bin  string
	Env  []string
	Addr string // host:port it listens on
	// AdminAddr is the host:port of its admin listener (HALYARD_ADMIN_ADDR: /metrics, /status).
	AdminAddr string
	Log       io.Writer
	cmd       *exec.Cmd
	done      chan error
}

// Start starts the process; Env is added to the current environment.
func (p *Process) Start() error {
	p.cmd = exec.Command(p.Bin)
	p.cmd.Env = append(os.Environ(), p.Env...)
	p.cmd.Stdout, p.cmd.Stderr = p.Log, p.Log
	if err := p.cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", p.Name, err)
	}
	p.done = make(chan error, 1)
	go func() { p.done <- p.cmd.Wait() }()
	return nil
}

// URL is the process's HTTP base URL.
func (p *Process) URL() string { return "http://" + p.Addr }

// AdminURL is the base URL of the process's admin listener: AdminURL()+"/metrics", AdminURL()+"/status".
func (p *Process) AdminURL() string { return "http://" + p.AdminAddr }

// WaitReady polls /readyz until it answers 200, the process exits, or the timeout passes.
func (p *Process) WaitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case err := <-p.done:
			p.done <- err
			return fmt.Errorf("%s exited before it was ready: %v", p.Name, err)
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		if resp, err := client.Get(p.URL() + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready after %s", p.Name, timeout)
}

// Stop sends SIGTERM and waits up to timeout for a clean exit, then kills.
func (p *Process) Stop(timeout time.Duration) error {
	if p.cmd == nil || p.cmd.Process == nil {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done <- err
		return err
	case <-time.After(timeout):
		return p.Kill()
	}
}

// Kill ends the process at once (SIGKILL), as a crash would.
func (p *Process) Kill() error {
	if p.cmd == nil || p.cmd.Process == nil {
		return nil
	}
	_ = p.cmd.Process.Kill()
	err := <-p.done
	p.done <- err
	return nil
}

// FreeAddr returns a free 127.0.0.1 TCP address.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return "127.0.0.1:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port), nil
}
