module github.com/halyard-flags/halyard/services/evaluator

go 1.26

require github.com/halyard-flags/halyard/shared v0.0.0

replace github.com/halyard-flags/halyard/shared => ../../shared
