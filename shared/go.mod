module github.com/halyard-flags/halyard/shared

go 1.26

require github.com/vmihailenco/msgpack/v5 v5.4.1

require (
	github.com/google/go-cmp v0.7.0 // indirect
	github.com/posthog/posthog-go v1.5.2 // indirect
	github.com/vmihailenco/tagparser/v2 v2.0.0 // indirect
	go.uber.org/multierr v1.10.0 // indirect
	go.uber.org/zap v1.28.0 // indirect
)
