package natssub

import (
	"context"

	"github.com/halyard-flags/halyard/shared/tracing"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

const tracerName = "github.com/halyard-flags/halyard/services/evaluator/internal/natssub"

// Span attributes of Halyard's own.
const (
	attrEnvironment  = "halyard.environment.id"
	attrVersion      = "halyard.environment.version"
	attrFlags        = "halyard.flags"
	attrOutcome      = "halyard.outcome" // applied, or rejected
	attrRejectReason = "halyard.reject_reason"
	attrReplayed     = "halyard.replayed" // applied during the initial catch-up
)

// applied is what the follower did with one snapshot message.
type applied struct {
	env, version int64
	flags        int
	replayed     bool
	rejected     string // the reason (Reasons) it was not applied; "" when applied
	err          error  // why it could not be read or used, when rejected for that
}

// traceApply runs apply (decode, compile, swap) in an apply span, the child of the publication span whose
// context the message's headers carry (traceparent, tracestate): one trace from the admin request to every
// evaluator's apply. A message without them (tracing off at the writer) starts a trace of its own, when
// tracing is on here. A replica that starts later applies the last message of each subject, and so adds its
// apply to the trace of the publication it got the state from, possibly long after (halyard.replayed).
func (f *Follower) traceApply(msg jetstream.Msg, apply func() applied) {
	ctx := tracing.ExtractNATS(context.Background(), msg.Headers())
	_, span := otel.Tracer(tracerName).Start(ctx, "apply snapshot", trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(semconv.MessagingSystemKey.String("nats"), semconv.MessagingOperationTypeProcess,
			semconv.MessagingOperationName("apply"), semconv.MessagingDestinationName(msg.Subject())))
	defer span.End()
	a := apply()
	if !span.IsRecording() {
		return
	}
	span.SetAttributes(attribute.Int64(attrEnvironment, a.env), attribute.Int64(attrVersion, a.version))
	if a.rejected != "" {
		span.SetAttributes(attribute.String(attrOutcome, "rejected"), attribute.String(attrRejectReason, a.rejected))
		if a.err != nil {
			span.RecordError(a.err)
			span.SetStatus(codes.Error, "snapshot not applied: "+a.rejected)
		}
		return
	}
	span.SetAttributes(attribute.String(attrOutcome, "applied"), attribute.Int(attrFlags, a.flags),
		attribute.Bool(attrReplayed, a.replayed))
}
