package publisher

import (
	"context"
	"fmt"

	"github.com/halyard-flags/halyard/shared/wire"
	"github.com/nats-io/nats.go"
)

// publishCatalog publishes the catalog: every environment's last acknowledged version, as recorded in the
// outbox. It is one message, published after each drain that published something and after each
// reconcile; catalogs from two writers may land out of order, which only makes a version a lower bound that
// is already met.
func (p *Publisher) publishCatalog(ctx context.Context) error {
	if p.noCatalog {
		return nil
	}
	versions, err := p.outbox.Catalog(ctx, p.stream.Name)
	if err != nil {
		return err
	}
	data, err := wire.EncodeCatalog(&wire.Catalog{Format: wire.FormatVersion, Versions: versions})
	if err != nil {
		return err
	}
	msg := nats.NewMsg(p.stream.SubjectPrefix + "." + wire.CatalogSubject)
	msg.Data = data
	p.sign(msg)
	if _, err := p.js.PublishMsg(ctx, msg); err != nil {
		return fmt.Errorf("publish the catalog: %w", err)
	}
	return nil
}

// withoutCatalog leaves the catalog out: for tests that count the stream's messages and sequences.
func withoutCatalog() Option { return func(p *Publisher) { p.noCatalog = true } }
