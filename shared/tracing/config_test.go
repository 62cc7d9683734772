package tracing

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFromEnv(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want Config
	}{
		{"nothing set", nil, Config{Sampler: DefaultSampler}},
		{"every variable", map[string]string{"HALYARD_TRACING": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": " http://c:4318 ",
			"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://t:4318/v1/traces", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/protobuf",
			"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_TRACES_SAMPLER": "TraceIDRatio", "OTEL_TRACES_SAMPLER_ARG": "0.25",
			"OTEL_SERVICE_NAME": "w1", "OTEL_SDK_DISABLED": "TRUE"},
			Config{Mode: "otlp", Endpoint: "http://c:4318", TracesEndpoint: "http://t:4318/v1/traces", Protocol: "http/protobuf",
				Sampler: "traceidratio", SamplerArg: "0.25", ServiceName: "w1", Disabled: true}},
		{"the general protocol when the traces one is not set", map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
			Config{Protocol: "grpc", Sampler: DefaultSampler}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := FromEnv(func(k string) string { return tc.env[k] })
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("FromEnv mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEnabled(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want bool
	}{
		{"nothing set: off", Config{}, false},
		{"an endpoint", Config{Endpoint: "http://c:4318"}, true},
		{"a traces endpoint", Config{TracesEndpoint: "http://c:4318/v1/traces"}, true},
		{"otlp without endpoint: the exporter's default", Config{Mode: ModeOTLP}, true},
		{"off wins over an endpoint", Config{Mode: ModeOff, Endpoint: "http://c:4318"}, false},
		{"OTEL_SDK_DISABLED wins over otlp", Config{Mode: ModeOTLP, Disabled: true}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.cfg.Enabled(); got != tc.want {
				t.Errorf("%+v.Enabled() = %v, want %v", tc.cfg, got, tc.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	on := Config{Mode: ModeOTLP, Sampler: DefaultSampler}
	for _, tc := range []struct {
		name string
		cfg  func(c *Config)
		want string
	}{
		{"defaults", func(c *Config) {}, ""},
		{"a ratio", func(c *Config) { c.Sampler, c.SamplerArg = "parentbased_traceidratio", "0.1" }, ""},
		{"unknown mode", func(c *Config) { c.Mode = "jaeger" }, "HALYARD_TRACING must be otlp or off"},
		{"off: the OTEL variables are someone else's", func(c *Config) { c.Mode, c.Sampler = ModeOff, "xray" }, ""},
		{"every problem", func(c *Config) {
			c.Endpoint, c.TracesEndpoint, c.Protocol = "collector:4318", "ftp://x/v1/traces", "grpc"
			c.Sampler, c.SamplerArg = "traceidratio", "2"
		}, "OTEL_EXPORTER_OTLP_ENDPOINT must be an http or https URL\n" +
			"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must be an http or https URL\n" +
			`OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" is not supported: Halyard exports OTLP over HTTP (http/protobuf)` + "\n" +
			`OTEL_TRACES_SAMPLER_ARG: "2" is not a ratio from 0 to 1`},
		{"a remote sampler", func(c *Config) { c.Sampler = "jaeger_remote" }, `OTEL_TRACES_SAMPLER: "jaeger_remote" is not ` +
			"one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := on
			tc.cfg(&cfg)
			got := ""
			if err := cfg.Validate(); err != nil {
				got = err.Error()
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Validate mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRedacted(t *testing.T) {
	c := Config{Endpoint: "https://user:secret@collector:4318", TracesEndpoint: "http://tempo:4318/v1/traces"}
	want := Config{Endpoint: "https://redacted@collector:4318", TracesEndpoint: "http://tempo:4318/v1/traces"}
	if diff := cmp.Diff(want, c.Redacted()); diff != "" {
		t.Errorf("Redacted mismatch (-want +got):\n%s", diff)
	}
}

func TestSampler(t *testing.T) {
	for name, want := range map[string]string{
		"always_on": "AlwaysOnSampler", "always_off": "AlwaysOffSampler", "traceidratio": "TraceIDRatioBased{0.5}",
		"parentbased_always_on":    "ParentBased{root:AlwaysOnSampler,remoteParentSampled:AlwaysOnSampler,remoteParentNotSampled:AlwaysOffSampler,localParentSampled:AlwaysOnSampler,localParentNotSampled:AlwaysOffSampler}",
		"parentbased_traceidratio": "ParentBased{root:TraceIDRatioBased{0.5},remoteParentSampled:AlwaysOnSampler,remoteParentNotSampled:AlwaysOffSampler,localParentSampled:AlwaysOnSampler,localParentNotSampled:AlwaysOffSampler}",
	} {
		if got := (Config{Sampler: name, SamplerArg: "0.5"}).sampler().Description(); got != want {
			t.Errorf("sampler %s = %s, want %s", name, got, want)
		}
	}
}
