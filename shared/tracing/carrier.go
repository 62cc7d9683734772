package tracing

import (
	"context"
	"net/http"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
)

// Inject returns the trace context of ctx's span as the propagator writes it (traceparent, and tracestate
// when there is one), or nil when ctx has none to carry (tracing off, or no span).
func Inject(ctx context.Context) map[string]string {
	c := propagation.MapCarrier{}
	otel.GetTextMapPropagator().Inject(ctx, c)
	if len(c) == 0 {
		return nil
	}
	return c
}

// Extract returns ctx carrying the remote span context in carrier (what Inject returned).
func Extract(ctx context.Context, carrier map[string]string) context.Context {
	return otel.GetTextMapPropagator().Extract(ctx, propagation.MapCarrier(carrier))
}

// InjectNATS adds the trace context of ctx's span to a message's headers (traceparent, tracestate, spelt
// as the W3C specification does), keeping the others.
func InjectNATS(ctx context.Context, h nats.Header) {
	otel.GetTextMapPropagator().Inject(ctx, natsCarrier(h))
}

// ExtractNATS returns ctx carrying the remote span context in a message's headers.
func ExtractNATS(ctx context.Context, h nats.Header) context.Context {
	return otel.GetTextMapPropagator().Extract(ctx, natsCarrier(h))
}

// natsCarrier adapts NATS headers, whose keys are case-sensitive, to the propagator: keys are set as given
// (propagation.HeaderCarrier would write Traceparent), and read as given or in HTTP's canonical spelling
// (a message relayed through an HTTP bridge).
type natsCarrier nats.Header

func (c natsCarrier) Get(key string) string {
	if v := c[key]; len(v) > 0 {
		return v[0]
	}
	if v := c[http.CanonicalHeaderKey(key)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (c natsCarrier) Set(key, value string) { c[key] = []string{value} }

func (c natsCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}
