package k8s

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Checks of each pod template on its own: probes, resources, security context, service account, shutdown
// timing, the Go memory limit and the Prometheus annotations.

const (
	// uid is the non-root user the images run as (ops conventions: distroless "nonroot").
	uid = int64(65532)
	// drainBudget is what a pod needs after its lame duck: draining in-flight HTTP requests (10s at most in
	// shared/httpserve), then the outbox and NATS. terminationGracePeriodSeconds must cover both.
	drainBudget = 15 * time.Second
	// defaultLameDuck is HALYARD_LAME_DUCK's default in the binaries.
	defaultLameDuck = 5 * time.Second
	adminPort       = 9090
)

// checkProbes: every server container has an HTTP startup probe, a readiness probe on /readyz and a liveness
// probe on /healthz, all on its main port (named http).
func checkProbes(m *manifests) []string {
	var problems []string
	for _, d := range m.Deployments {
		for i := range d.Spec.Template.Spec.Containers {
			c := &d.Spec.Template.Spec.Containers[i]
			where := fmt.Sprintf("Deployment %s container %s", d.Name, c.Name)
			problems = append(problems, probeProblems(where, "startup", c.StartupProbe, "", c)...)
			problems = append(problems, probeProblems(where, "readiness", c.ReadinessProbe, "/readyz", c)...)
			problems = append(problems, probeProblems(where, "liveness", c.LivenessProbe, "/healthz", c)...)
		}
	}
	return problems
}

func probeProblems(where, kind string, p *corev1.Probe, path string, c *corev1.Container) []string {
	if p == nil {
		return []string{fmt.Sprintf("%s: no %s probe", where, kind)}
	}
	if p.HTTPGet == nil {
		return []string{fmt.Sprintf("%s: %s probe is not an HTTP GET", where, kind)}
	}
	var problems []string
	if path != "" && p.HTTPGet.Path != path {
		problems = append(problems, fmt.Sprintf("%s: %s probe asks %q, want %q", where, kind, p.HTTPGet.Path, path))
	}
	main := containerPort(c, intstr.FromString("http"))
	if port := containerPort(c, p.HTTPGet.Port); port == 0 || port != main {
		problems = append(problems, fmt.Sprintf("%s: %s probe port %s is not the main port (named http)", where, kind, p.HTTPGet.Port.String()))
	}
	return problems
}

// containerPort resolves a named or numbered port to the container's port number, 0 when it has none.
func containerPort(c *corev1.Container, p intstr.IntOrString) int32 {
	for _, cp := range c.Ports {
		if (p.Type == intstr.String && cp.Name == p.StrVal) || (p.Type == intstr.Int && cp.ContainerPort == p.IntVal) {
			return cp.ContainerPort
		}
	}
	return 0
}

// podPort resolves a port on any of the pod's containers.
func podPort(spec *corev1.PodSpec, p intstr.IntOrString) int32 {
	for _, c := range containers(spec) {
		if n := containerPort(c, p); n != 0 {
			return n
		}
	}
	return 0
}

// checkResources: every container requests and limits CPU and memory, requests no more than its limits.
func checkResources(m *manifests) []string {
	var problems []string
	for _, d := range m.Deployments {
		for _, c := range containers(&d.Spec.Template.Spec) {
			for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
				req, hasReq := c.Resources.Requests[r]
				lim, hasLim := c.Resources.Limits[r]
				if !hasReq || !hasLim {
					problems = append(problems, fmt.Sprintf("Deployment %s container %s: %s needs a request and a limit", d.Name, c.Name, r))
				} else if req.Cmp(lim) > 0 {
					problems = append(problems, fmt.Sprintf("Deployment %s container %s: %s request %s above limit %s", d.Name, c.Name, r, req.String(), lim.String()))
				}
			}
		}
	}
	return problems
}

// checkSecurityContext: every pod and every container runs as uid 65532, non-root, with a read-only root
// filesystem, no privilege escalation, no capabilities and the runtime's default seccomp profile: the
// "restricted" Pod Security Standard and then some. Exactly this, on each container, so that none relies on
// another's or the pod's settings.
func checkSecurityContext(m *manifests) []string {
	yes, no, id := true, false, uid
	seccomp := &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}
	wantPod := corev1.PodSecurityContext{RunAsNonRoot: &yes, RunAsUser: &id, RunAsGroup: &id, SeccompProfile: seccomp}
	wantContainer := corev1.SecurityContext{
		RunAsNonRoot: &yes, RunAsUser: &id, RunAsGroup: &id, ReadOnlyRootFilesystem: &yes,
		AllowPrivilegeEscalation: &no, Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		SeccompProfile: seccomp,
	}
	var problems []string
	for _, d := range m.Deployments {
		spec := &d.Spec.Template.Spec
		if diff := cmp.Diff(&wantPod, spec.SecurityContext); diff != "" {
			problems = append(problems, fmt.Sprintf("Deployment %s: pod securityContext mismatch (-want +got):\n%s", d.Name, diff))
		}
		for _, c := range containers(spec) {
			if diff := cmp.Diff(&wantContainer, c.SecurityContext); diff != "" {
				problems = append(problems, fmt.Sprintf("Deployment %s container %s: securityContext mismatch (-want +got):\n%s", d.Name, c.Name, diff))
			}
		}
	}
	return problems
}

// checkServiceAccounts: every pod runs under an account that exists, without a Kubernetes API token.
func checkServiceAccounts(m *manifests) []string {
	accounts := map[string]bool{}
	for _, sa := range m.ServiceAccounts {
		accounts[sa.Name] = true
	}
	var problems []string
	for _, d := range m.Deployments {
		spec := d.Spec.Template.Spec
		if !accounts[spec.ServiceAccountName] {
			problems = append(problems, fmt.Sprintf("Deployment %s: service account %q is not in the manifests", d.Name, spec.ServiceAccountName))
		}
		if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
			problems = append(problems, fmt.Sprintf("Deployment %s: mounts a service account token it never uses", d.Name))
		}
	}
	return problems
}

// checkLifecycle: the grace period covers the lame duck (not ready, still serving) plus draining; shorter,
// and the kubelet kills a pod still answering requests.
func checkLifecycle(m *manifests) []string {
	var problems []string
	for _, d := range m.Deployments {
		spec := &d.Spec.Template.Spec
		grace := 30 * time.Second // Kubernetes' default
		if spec.TerminationGracePeriodSeconds != nil {
			grace = time.Duration(*spec.TerminationGracePeriodSeconds) * time.Second
		}
		for _, c := range containers(spec) {
			lameDuck := defaultLameDuck
			if v, ok := m.envValue(c, "HALYARD_LAME_DUCK"); ok {
				var err error
				if lameDuck, err = time.ParseDuration(v); err != nil {
					problems = append(problems, fmt.Sprintf("Deployment %s container %s: HALYARD_LAME_DUCK %q: %v", d.Name, c.Name, v, err))
					continue
				}
			}
			if grace < lameDuck+drainBudget {
				problems = append(problems, fmt.Sprintf("Deployment %s: terminationGracePeriodSeconds %v < lame duck %v + drain %v", d.Name, grace, lameDuck, drainBudget))
			}
		}
	}
	return problems
}

// checkGoMemLimit: every container sets GOMEMLIMIT below its memory limit, so the garbage collector works
// harder before the kernel kills the process.
func checkGoMemLimit(m *manifests) []string {
	var problems []string
	for _, d := range m.Deployments {
		for _, c := range containers(&d.Spec.Template.Spec) {
			where := fmt.Sprintf("Deployment %s container %s", d.Name, c.Name)
			v, ok := m.envValue(c, "GOMEMLIMIT")
			limit := c.Resources.Limits.Memory().Value()
			soft, err := parseGoMemLimit(v)
			switch {
			case !ok:
				problems = append(problems, where+": no GOMEMLIMIT")
			case err != nil:
				problems = append(problems, fmt.Sprintf("%s: GOMEMLIMIT: %v", where, err))
			case soft >= limit:
				problems = append(problems, fmt.Sprintf("%s: GOMEMLIMIT %s is not below the memory limit (%d bytes)", where, v, limit))
			}
		}
	}
	return problems
}

// parseGoMemLimit reads GOMEMLIMIT's syntax (runtime/debug.SetMemoryLimit): bytes with an optional
// B, KiB, MiB, GiB or TiB suffix.
func parseGoMemLimit(s string) (int64, error) {
	units := []struct {
		suffix string
		shift  uint
	}{{"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10}, {"B", 0}}
	shift := uint(0)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, shift = strings.TrimSuffix(s, u.suffix), u.shift
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, err
	}
	return n << shift, nil
}

// checkScrapeAnnotations: Prometheus finds every pod through its annotations, on the admin port.
func checkScrapeAnnotations(m *manifests) []string {
	want := map[string]string{
		"prometheus.io/scrape": "true",
		"prometheus.io/port":   strconv.Itoa(adminPort),
		"prometheus.io/path":   "/metrics",
	}
	var problems []string
	for _, d := range m.Deployments {
		got := map[string]string{}
		for k := range want {
			if v, ok := d.Spec.Template.Annotations[k]; ok {
				got[k] = v
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			problems = append(problems, fmt.Sprintf("Deployment %s: scrape annotations mismatch (-want +got):\n%s", d.Name, diff))
		}
		if podPort(&d.Spec.Template.Spec, intstr.FromInt32(adminPort)) == 0 {
			problems = append(problems, fmt.Sprintf("Deployment %s: no container port %d to scrape", d.Name, adminPort))
		}
	}
	return problems
}
