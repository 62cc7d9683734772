package postgres

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/halyard-flags/halyard/shared/tracing"
	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// Tracing. Every change of an environment runs in a commit span, a child of the admin request's, and its
// outbox row stores that span's trace context (outbox.trace_context, a JSON list of W3C carriers: one per
// change the row records, several when a group commit shares the row). Whichever writer publishes the
// change reads the contexts back with the snapshot and continues the trace (publisher). With tracing off
// the spans are no-ops and trace_context stays NULL.

const tracerName = "github.com/halyard-flags/halyard/services/writer/internal/postgres"

// Span attributes of Halyard's own.
const (
	attrEnvironment = "halyard.environment.id"
	attrVersion     = "halyard.environment.version"
	attrOperation   = "halyard.operation"
	attrGroupSize   = "halyard.group_size"
)

// startCommit starts the span of one change, made by op (e.g. postgres.UpdateFlag).
func startCommit(ctx context.Context, op string) (context.Context, trace.Span) {
	return otel.Tracer(tracerName).Start(ctx, "commit", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(semconv.DBSystemNamePostgreSQL, attribute.String(attrOperation, op)))
}

// endCommit ends a commit span with the environment changed and the version the change produced, or its
// error.
func endCommit(span trace.Span, envID, version int64, err error) {
	defer span.End()
	span.SetAttributes(attribute.Int64(attrEnvironment, envID))
	switch {
	case err == nil:
		span.SetAttributes(attribute.Int64(attrVersion, version))
	case errors.Is(err, pgx.ErrNoRows): // an optimistic edit whose flag moved: computed again, not a failure
		span.AddEvent("the flag changed since it was read; nothing committed")
	default:
		span.RecordError(err)
		span.SetStatus(codes.Error, "change not committed")
	}
}

// traceCarrier is the trace context of ctx's span as one JSON carrier object, nil when there is none.
func traceCarrier(ctx context.Context) *string {
	c := tracing.Inject(ctx)
	if c == nil {
		return nil
	}
	b, _ := json.Marshal(c) // a map of strings always encodes
	s := string(b)
	return &s
}

// traceContext is an outbox row's trace_context for the change made under ctx's span: a JSON list of one
// carrier, nil (NULL) when there is no span to continue.
func traceContext(ctx context.Context) *string {
	c := traceCarrier(ctx)
	if c == nil {
		return nil
	}
	s := "[" + *c + "]"
	return &s
}

// traceContextsSQL lists the trace contexts of the environment's pending changes, oldest first, at most
// 128 (the SDK's default limit of links per span): a backlog of thousands of changes, after an outage, is
// published as one snapshot.
const traceContextsSQL = `SELECT coalesce(jsonb_agg(c ORDER BY id, n), '[]') FROM (
		SELECT o.id, x.n, x.c FROM outbox o, jsonb_array_elements(o.trace_context) WITH ORDINALITY AS x(c, n)
		WHERE o.environment_id = $1 AND o.published_at IS NULL AND o.trace_context IS NOT NULL
		ORDER BY o.id, x.n LIMIT 128) t`
