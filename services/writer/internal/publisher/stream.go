// Package publisher moves committed changes from the Postgres outbox to NATS JetStream: for each environment
// with pending outbox rows it publishes the environment's full msgpack snapshot, then marks the rows.
//
// Guarantees: a change committed in Postgres reaches the stream even if the writer crashes between commit and
// publish (the outbox row stays pending and is published at the next start or by another writer); a retry is a
// no-op thanks to the Nats-Msg-Id; and the stream never holds an older version after a newer one, because
// publishers of one environment are serialized by an advisory lock and every publish states the subject
// sequence it expects to replace.
package publisher

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Stream describes where snapshots go.
type Stream struct {
	Name          string
	SubjectPrefix string
	Replicas      int
}

// Subject is the subject of one environment's snapshots.
func (s Stream) Subject(envID int64) string {
	return s.SubjectPrefix + "." + strconv.FormatInt(envID, 10)
}

// Headers every snapshot message carries, so consumers can route and order without decoding.
const (
	HeaderVersion     = "Halyard-Version"
	HeaderEnvironment = "Halyard-Environment"
)

// Ensure creates the stream or updates it to the configuration Halyard needs: the last message per
// environment subject only, on file storage, with a de-duplication window covering publisher retries.
func Ensure(ctx context.Context, js jetstream.JetStream, s Stream) (jetstream.Stream, error) {
	st, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:              s.Name,
		Description:       "Halyard environment snapshots: last message per environment subject",
		Subjects:          []string{s.SubjectPrefix + ".>"},
		MaxMsgsPerSubject: 1,
		Storage:           jetstream.FileStorage,
		Replicas:          s.Replicas,
		Duplicates:        2 * time.Minute,
		AllowDirect:       true,
		Discard:           jetstream.DiscardOld,
	})
	if err != nil {
		return nil, fmt.Errorf("publisher.Ensure(%s): %w", s.Name, err)
	}
	return st, nil
}
