//! Target 3a: schedule strings (`--schedule`) and the replays they drive,
//! over bundled scenarios that explore, with and without injected faults.
//!
//! Checks that decoding never panics, that a decoded schedule replays the
//! same way twice (same outcome, same choices), and that encoding the
//! choices a run made gives a string that decodes to them.

use ipcsim_kernel::Faults;
use ipcsim_scenario::{schedule, RunOptions};

/// Scenarios whose schedules matter (each has a bug some schedule shows).
const SCENARIOS: [&str; 7] = [
    include_str!("../../scenarios/race_order.ipc"),
    include_str!("../../scenarios/explore_lock_order.ipc"),
    include_str!("../../scenarios/lost_wakeup.ipc"),
    include_str!("../../scenarios/kill_lost_replies.ipc"),
    include_str!("../../scenarios/udp_retry.ipc"),
    include_str!("../../scenarios/socket_partition.ipc"),
    include_str!("../../scenarios/host_race.ipc"),
];

/// Runs one input: its first byte picks the scenario and the faults, the
/// rest is a schedule string (or, if it does not decode, choices as bytes).
pub fn check(data: &[u8]) {
    let Some((&head, rest)) = data.split_first() else {
        return;
    };
    let src = SCENARIOS[usize::from(head) % SCENARIOS.len()];
    let faults = Faults {
        kill_random: head & 0x10 != 0,
        delay: if head & 0x20 != 0 { 3 } else { 0 },
        within: u64::from(head >> 6) * 10 + 1,
        partition: if head & 0x08 != 0 { 6 } else { 0 },
        drop_datagram: head & 0x04 != 0,
        reorder: if head & 0x02 != 0 { 4 } else { 0 },
    };
    let text = String::from_utf8_lossy(rest);
    // The string as written, then the same choices under this file's hash.
    let choices = match schedule::decode(src, &text) {
        Ok(c) => c,
        Err(e) => {
            assert!(!e.to_string().is_empty());
            let tail = text.rsplit(':').next().unwrap_or("");
            let own = format!("{}:{}:{tail}", schedule::VERSION, schedule::scenario_hash(src));
            match schedule::decode(src, &own) {
                Ok(c) => c,
                Err(_) => rest.iter().map(|b| u32::from(*b % 4)).collect(),
            }
        }
    };
    let run = |choices: Vec<u32>| {
        let opts = RunOptions {
            replay: Some(choices),
            record_choices: true,
            steps_max: Some(crate::STEPS_MAX),
            faults,
            ..RunOptions::default()
        };
        let sc = ipcsim_scenario::load(src).expect("a bundled scenario loads");
        let (o, rt) = ipcsim_scenario::run(sc, "fuzz.ipc", &opts, None);
        let k = rt.kernel();
        k.check_invariants()
            .unwrap_or_else(|e| panic!("kernel invariant broken: {e}"));
        (o.exit_code(), o.unexpected.clone(), k.choices().to_vec())
    };
    let first = run(choices.clone());
    assert_eq!(first, run(choices), "a replay is not deterministic");
    // What the run chose, written and read back, replays it again.
    let written = schedule::encode(src, &first.2);
    let read = schedule::decode(src, &written).expect("an encoded schedule decodes");
    assert_eq!(run(read).0, first.0, "the encoded schedule replays another run");
}
