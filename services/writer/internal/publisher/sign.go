package publisher

import (
	"github.com/halyard-flags/halyard/shared/snapsig"
	"github.com/nats-io/nats.go"
)

// Sign has every snapshot and catalog signed with s (ADR 0017). The writer then also takes as current only
// a last message its own key signed: anything else on a subject (unsigned, forged, or signed with a key
// since rotated out) is republished over, signed, at the next change or reconcile, as an unreadable message
// is.
func Sign(s *snapsig.Signer) Option {
	return func(p *Publisher) {
		if s != nil {
			p.signing = &signing{signer: s, own: snapsig.NewVerifier(s.Public())}
		}
	}
}

// signing is a publisher's key: it signs what it publishes and checks what it reads back.
type signing struct {
	signer *snapsig.Signer
	own    *snapsig.Verifier
}

// sign signs msg, its headers set, when the publisher signs.
func (p *Publisher) sign(msg *nats.Msg) {
	if p.signing != nil {
		p.signing.signer.Sign(msg.Subject, msg.Header, msg.Data)
	}
}

// signedByUs reports whether a message read back from the stream carries this writer's signature (always
// true when the publisher does not sign).
func (p *Publisher) signedByUs(subject string, h nats.Header, body []byte) error {
	if p.signing == nil {
		return nil
	}
	return p.signing.own.Verify(subject, h, body)
}

// headersSignedByUs is signedByUs for a message read without its body (the reconciler's headers-only pass).
func (p *Publisher) headersSignedByUs(subject string, h nats.Header) bool {
	return p.signing == nil || p.signing.own.VerifyHeaders(subject, h) == nil
}
