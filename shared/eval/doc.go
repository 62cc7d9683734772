// Package eval is Halyard's flag evaluation engine: it compiles one environment's flag definitions once
// (regexes, numbers, dates, semvers, variant tables, dependency order) and then answers, with no I/O, no locks
// and no allocations on the common path, exactly what PostHog's flag service (rust/feature-flags) answers for
// the same definition and input.
//
// The rules, and where they come from in PostHog, are described in docs/engine.md. Known, deliberate
// differences from PostHog:
//   - Regexes are Go RE2. A pattern RE2 cannot compile (look-around, back-references) is rejected by
//     flag.Validate in the writer; if one reaches the engine anyway it never matches, for regex and for
//     not_regex alike (PostHog does the same with a pattern its own engine cannot compile).
//   - Properties come only from the request: there is no person store, so a property the request did not
//     send is absent (PostHog would also look in its database).
//   - Dates use UTC as the team timezone.
package eval
