package app

import (
	"github.com/halyard-flags/halyard/services/writer/internal/postgres"
	"github.com/halyard-flags/halyard/services/writer/internal/publisher"
)

// The publisher depends on its own small Outbox interface; PostgreSQL's outbox is the one the writer runs.
var _ publisher.Outbox = (*postgres.Outbox)(nil)
