-- The last snapshot of each environment a publisher saw acknowledged by the stream (its subject sequence and
-- version). Publishers read and write it under the environment's publish lock, so the next publisher, in this
-- writer or another, knows the sequence to expect without asking the stream first; the stream's
-- expected-sequence check still refuses a publish when this is stale, and the publisher then asks the stream.
CREATE TABLE published_snapshots (
    stream           text NOT NULL,
    environment_id   bigint NOT NULL REFERENCES environments (id),
    stream_sequence  bigint NOT NULL,
    version          bigint NOT NULL,
    PRIMARY KEY (stream, environment_id)
);
