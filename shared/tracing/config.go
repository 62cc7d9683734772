package tracing

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Config says whether and where spans are exported. The exporter itself also reads the other standard
// variables (OTEL_EXPORTER_OTLP_HEADERS, …_TIMEOUT, …_COMPRESSION, …_CERTIFICATE), and the batch span
// processor OTEL_BSP_*.
type Config struct {
	// Mode is HALYARD_TRACING: "" (on when an OTLP endpoint is set), ModeOTLP (on, the endpoint
	// defaulting to http://localhost:4318) or ModeOff.
	Mode           string
	Endpoint       string // OTEL_EXPORTER_OTLP_ENDPOINT: the collector's base URL (/v1/traces is added)
	TracesEndpoint string // OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: the full URL spans are posted to
	Protocol       string // OTEL_EXPORTER_OTLP_TRACES_PROTOCOL or OTEL_EXPORTER_OTLP_PROTOCOL: http/protobuf only
	Sampler        string // OTEL_TRACES_SAMPLER (default parentbased_always_on)
	SamplerArg     string // OTEL_TRACES_SAMPLER_ARG: the ratio of the traceidratio samplers (default 1)
	ServiceName    string // OTEL_SERVICE_NAME (default: the binary's, halyard-writer or halyard-evaluator)
	Disabled       bool   // OTEL_SDK_DISABLED=true: off, whatever else is set
}

// The values of HALYARD_TRACING.
const (
	ModeOTLP = "otlp"
	ModeOff  = "off"
)

// DefaultSampler is the sampler when OTEL_TRACES_SAMPLER is not set: every trace a caller did not mark as
// unsampled.
const DefaultSampler = "parentbased_always_on"

// Help documents the variables, in the layout of the services' -h.
const Help = `  HALYARD_TRACING          otlp turns tracing on, off turns it off (default: on when an OTLP endpoint is set)
  OTEL_EXPORTER_OTLP_ENDPOINT
                           OTLP/HTTP collector base URL, e.g. http://otel-collector:4318 (turns tracing on)
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
                           full URL spans are posted to, e.g. http://tempo:4318/v1/traces (turns tracing on)
  OTEL_TRACES_SAMPLER      always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off
                           or parentbased_traceidratio (default parentbased_always_on)
  OTEL_TRACES_SAMPLER_ARG  the ratio for the traceidratio samplers, 0 to 1 (default 1)
  OTEL_SERVICE_NAME        service.name of the spans (default halyard-writer or halyard-evaluator)
  OTEL_EXPORTER_OTLP_HEADERS, OTEL_EXPORTER_OTLP_CERTIFICATE, OTEL_BSP_*, OTEL_RESOURCE_ATTRIBUTES, …
                           as the OpenTelemetry SDK documents them`

// FromEnv reads the variables through getenv.
func FromEnv(getenv func(string) string) Config {
	c := Config{
		Mode:           strings.TrimSpace(getenv("HALYARD_TRACING")),
		Endpoint:       strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_ENDPOINT")),
		TracesEndpoint: strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")),
		Protocol:       strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")),
		Sampler:        strings.ToLower(strings.TrimSpace(getenv("OTEL_TRACES_SAMPLER"))),
		SamplerArg:     strings.TrimSpace(getenv("OTEL_TRACES_SAMPLER_ARG")),
		ServiceName:    strings.TrimSpace(getenv("OTEL_SERVICE_NAME")),
		Disabled:       strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true"),
	}
	if c.Protocol == "" {
		c.Protocol = strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_PROTOCOL"))
	}
	if c.Sampler == "" {
		c.Sampler = DefaultSampler
	}
	return c
}

// Enabled reports whether spans are exported.
func (c Config) Enabled() bool {
	switch {
	case c.Disabled || c.Mode == ModeOff:
		return false
	case c.Mode == ModeOTLP:
		return true
	default:
		return c.Endpoint != "" || c.TracesEndpoint != ""
	}
}

// samplers are the OTEL_TRACES_SAMPLER values the SDK implements without a remote service; the value says
// whether it takes OTEL_TRACES_SAMPLER_ARG.
var samplers = map[string]bool{"always_on": false, "always_off": false, "traceidratio": true,
	"parentbased_always_on": false, "parentbased_always_off": false, "parentbased_traceidratio": true}

// Validate reports every problem at once. The OTEL_* variables are checked only when tracing is on: off,
// they may be meant for another program sharing the environment.
func (c Config) Validate() error {
	if c.Mode != "" && c.Mode != ModeOTLP && c.Mode != ModeOff {
		return errors.New("HALYARD_TRACING must be otlp or off")
	}
	if !c.Enabled() {
		return nil
	}
	var errs []error
	for _, e := range []struct{ env, value string }{{"OTEL_EXPORTER_OTLP_ENDPOINT", c.Endpoint},
		{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", c.TracesEndpoint}} {
		if u, err := url.Parse(e.value); e.value != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
			errs = append(errs, fmt.Errorf("%s must be an http or https URL", e.env))
		}
	}
	if c.Protocol != "" && c.Protocol != "http/protobuf" {
		errs = append(errs, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL: %q is not supported: Halyard exports OTLP over HTTP (http/protobuf)", c.Protocol))
	}
	takesArg, known := samplers[c.Sampler]
	if !known {
		errs = append(errs, fmt.Errorf("OTEL_TRACES_SAMPLER: %q is not one of always_on, always_off, traceidratio, "+
			"parentbased_always_on, parentbased_always_off, parentbased_traceidratio", c.Sampler))
	}
	if takesArg && c.SamplerArg != "" {
		if r, err := strconv.ParseFloat(c.SamplerArg, 64); err != nil || r < 0 || r > 1 {
			errs = append(errs, fmt.Errorf("OTEL_TRACES_SAMPLER_ARG: %q is not a ratio from 0 to 1", c.SamplerArg))
		}
	}
	return errors.Join(errs...)
}

// Redacted returns the configuration with the endpoints' user info masked, for the start-up log.
func (c Config) Redacted() Config {
	c.Endpoint, c.TracesEndpoint = redact(c.Endpoint), redact(c.TracesEndpoint)
	return c
}

func redact(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "[unparsable URL]"
	case u.User != nil:
		u.User = url.User("redacted")
		return u.String()
	default:
		return s
	}
}
