-- The trace context of the changes an outbox row records (tracing, ADR 0014): a JSON list of W3C
-- trace-context carriers ({"traceparent": …, "tracestate": …}), one per traced change, several when a group
-- commit records many edits in one row. The writer that publishes the row continues those traces. NULL when
-- tracing is off. A nullable column without a default rewrites nothing.
ALTER TABLE outbox ADD COLUMN trace_context jsonb;
