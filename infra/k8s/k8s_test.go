package k8s

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// A check returns one line per problem it finds in a rendered kustomization; none means it passes.
type check func(m *manifests) []string

// everywhere are the checks every kustomization passes; production adds its own.
var (
	everywhere = map[string]check{
		"probes":                 checkProbes,
		"resources":              checkResources,
		"securityContext":        checkSecurityContext,
		"serviceAccounts":        checkServiceAccounts,
		"lifecycle":              checkLifecycle,
		"goMemLimit":             checkGoMemLimit,
		"scrapeAnnotations":      checkScrapeAnnotations,
		"deploymentSelectors":    checkDeploymentSelectors,
		"services":               checkServices,
		"autoscaling":            checkAutoscaling,
		"disruptionBudgets":      checkDisruptionBudgets,
		"envRefs":                checkEnvRefs,
		"namespace":              checkNamespace,
		"writerReplicas":         checkWriterReplicas,
		"networkPolicySelectors": checkNetworkPolicySelectors,
		"networkTraffic":         checkNetworkTraffic,
		"defaultDeny":            checkDefaultDeny,
	}
	productionOnly = map[string]check{
		"spread":       checkSpread,
		"pinnedImages": checkPinnedImages,
	}
)

func TestManifests(t *testing.T) {
	for _, tc := range []struct {
		dir    string
		checks []map[string]check
	}{
		{baseDir, []map[string]check{everywhere}},
		{productionDir, []map[string]check{everywhere, productionOnly}},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			m := render(t, tc.dir)
			if len(m.Deployments) == 0 {
				t.Fatal("no Deployments rendered")
			}
			for _, checks := range tc.checks {
				for name, c := range checks {
					for _, p := range c(m) {
						t.Errorf("%s: %s", name, p)
					}
				}
			}
		})
	}
}

// TestProductionRaises: the production overlay runs more writers, a higher evaluator floor, and gives every
// container at least the base's resources.
func TestProductionRaises(t *testing.T) {
	base, prod := render(t, baseDir), render(t, productionDir)
	if b, p := *base.deployment(writer).Spec.Replicas, *prod.deployment(writer).Spec.Replicas; p <= b {
		t.Errorf("writer replicas: production %d, base %d", p, b)
	}
	if b, p := *base.hpa(evaluator).Spec.MinReplicas, *prod.hpa(evaluator).Spec.MinReplicas; p <= b {
		t.Errorf("evaluator minReplicas: production %d, base %d", p, b)
	}
	for _, name := range []string{writer, evaluator} {
		b := base.deployment(name).Spec.Template.Spec.Containers[0].Resources
		p := prod.deployment(name).Spec.Template.Spec.Containers[0].Resources
		for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if lower(p.Requests[r], b.Requests[r]) || lower(p.Limits[r], b.Limits[r]) {
				t.Errorf("%s %s: production %v/%v below base %v/%v", name, r,
					p.Requests[r], p.Limits[r], b.Requests[r], b.Limits[r])
			}
		}
	}
}

func lower(a, b resource.Quantity) bool { return a.Cmp(b) < 0 }

// TestChecksCatchBreakage breaks the rendered manifests one way at a time and expects the check that guards
// that property to notice: a check that cannot fail proves nothing.
func TestChecksCatchBreakage(t *testing.T) {
	for _, tc := range breakages {
		t.Run(tc.name, func(t *testing.T) {
			dir, c := baseDir, everywhere[tc.check]
			if c == nil {
				dir, c = productionDir, productionOnly[tc.check]
			}
			if c == nil {
				t.Fatalf("no check named %q", tc.check)
			}
			m := render(t, dir)
			tc.breakIt(m)
			problems := c(m)
			if len(problems) == 0 {
				t.Fatalf("check %s found nothing wrong", tc.check)
			}
			if !strings.Contains(strings.Join(problems, "\n"), tc.want) {
				t.Errorf("check %s reported %q, want a mention of %q", tc.check, problems, tc.want)
			}
		})
	}
}

// TestEveryCheckCanFail: each check has at least one breakage above.
func TestEveryCheckCanFail(t *testing.T) {
	broken := map[string]bool{}
	for _, b := range breakages {
		broken[b.check] = true
	}
	for _, checks := range []map[string]check{everywhere, productionOnly} {
		for name := range checks {
			if !broken[name] {
				t.Errorf("check %s: no breakage in breakages_test.go shows it can fail", name)
			}
		}
	}
}
