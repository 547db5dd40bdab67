//! No process can act on another host's objects (issue 21), as a property
//! test on stable: random system-call sequences from processes of two hosts
//! that hold capabilities to their own host's objects only (each host has
//! the same keys and paths), with socket calls among them. The
//! kernel_calls target (`H` inputs) checks after every step that each event
//! touching an object is by a process of that object's host, and
//! `check_invariants` that no capability crosses a host.

use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn no_process_acts_on_another_hosts_objects(seed in 0u8..4, rest in proptest::collection::vec(any::<u8>(), 0..2048)) {
        // `H`: hosts mode; the seed; the event log on (the check reads it);
        // priority inheritance off; a second host.
        let mut input = vec![b'H', seed, 1, 0, 1];
        input.extend(rest);
        ipcsim_fuzz::kernel_calls::check(&input);
    }
}
