package publisher

import (
	"context"
	"time"

	"github.com/halyard-flags/halyard/shared/tracing"
	"github.com/halyard-flags/halyard/shared/wire"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

const tracerName = "github.com/halyard-flags/halyard/services/writer/internal/publisher"

// Span attributes of Halyard's own.
const (
	attrEnvironment = "halyard.environment.id"
	attrVersion     = "halyard.environment.version"
	attrChanges     = "halyard.changes"     // traced changes the snapshot publishes
	attrOutcome     = "halyard.outcome"     // published, or already_on_stream
	attrMarked      = "halyard.outbox_rows" // outbox rows the publication marked
)

// startPublish starts the span of one snapshot's publication, dated from start (when the publisher took
// the environment, before it read the snapshot). Its parent is the commit span of the oldest change the
// snapshot publishes, so that one trace runs from that change's admin request to every evaluator's apply;
// when several changes go out together, the span links to the commit span of each of the others (ADR 0014).
// With no traced change it starts a trace of its own.
func startPublish(ctx context.Context, start time.Time, subject string, snap *wire.Snapshot, traces []map[string]string) (context.Context, trace.Span) {
	parent, links := ctx, make([]trace.Link, 0, len(traces))
	for _, c := range traces {
		sc := trace.SpanContextFromContext(tracing.Extract(ctx, c))
		switch {
		case !sc.IsValid():
		case !trace.SpanContextFromContext(parent).IsValid(): // the oldest: the parent
			parent = trace.ContextWithRemoteSpanContext(ctx, sc)
		default:
			links = append(links, trace.Link{SpanContext: sc})
		}
	}
	return otel.Tracer(tracerName).Start(parent, "publish snapshot", trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithTimestamp(start), trace.WithLinks(links...),
		trace.WithAttributes(semconv.MessagingSystemKey.String("nats"), semconv.MessagingOperationTypeSend,
			semconv.MessagingOperationName("publish"), semconv.MessagingDestinationName(subject),
			attribute.Int64(attrEnvironment, snap.EnvironmentID), attribute.Int64(attrVersion, snap.Version),
			attribute.Int(attrChanges, len(traces))))
}

// endPublish ends a publication's span once the outbox rows are marked: bytes published (0 when the stream
// already held the version), rows marked, or the error.
func endPublish(span trace.Span, bytes int, marked int64, err error) {
	defer span.End()
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "snapshot not published")
		return
	}
	outcome := "published"
	if bytes == 0 {
		outcome = "already_on_stream"
	}
	span.SetAttributes(attribute.String(attrOutcome, outcome), semconv.MessagingMessageBodySize(bytes),
		attribute.Int64(attrMarked, marked))
}
