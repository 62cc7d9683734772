module github.com/halyard-flags/halyard/ui

go 1.26.0
