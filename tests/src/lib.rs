//! Cross-crate tests for ipcsim live in `tests/tests/`: scenario golden tests,
//! determinism, language errors, exit statuses, and the property-based suites.
