//! The socket and blocking benches measure what they say: their drivers, run
//! small, make every round trip and deliver every datagram (a bench of a run
//! that stopped early would time nothing and look fast).

#[path = "../benches/common/net.rs"]
mod net;

#[path = "../benches/common/blocking.rs"]
mod blocking;

use ipcsim_kernel::{Ending, Finish};
use ipcsim_runtime::{ProcState, Report};

fn client_exited(r: &Report) {
    assert_eq!(r.finish, Finish::AllEnded, "{r:?}");
    let client = r.processes.iter().find(|p| p.name == "client").expect("client");
    assert_eq!(client.state, ProcState::Ended(Ending::Exited), "{r:?}");
}

#[test]
fn the_stream_driver_makes_every_round_trip() {
    let n = 50;
    let r = net::stream_pingpong(n, false).run();
    client_exited(&r);
    // Each round trip is two writes of 4 bytes; the handshake carries none.
    let bytes = r.stats.bytes_copied();
    assert!(bytes >= 2 * 4 * n, "{bytes} bytes for {n} round trips");
}

#[test]
fn the_datagram_driver_delivers_every_datagram() {
    let n = 4 * net::BURST;
    let r = net::datagram_flow(n, false).run();
    // The client waits for each burst's acknowledgement: had one datagram
    // been lost, the server would never answer and the client never end.
    client_exited(&r);
}

#[test]
fn the_many_hosts_scenario_runs_every_client_and_worker() {
    let hosts = 7;
    let sc = ipcsim_scenario::load(&net::many_hosts_src(hosts, 3)).expect("loads");
    let (outcome, rt) = ipcsim_scenario::run(sc, "hosts.ipc", &Default::default(), None);
    assert_eq!(outcome.exit_code(), 0);
    let k = rt.kernel();
    let ended = (0..k.process_count())
        .filter(|&i| k.ending(ipcsim_kernel::Pid(i as u32)) == Some(Ending::Exited))
        .count();
    // Every client and the worker spawned for it.
    assert_eq!(ended, 2 * hosts);
}

#[test]
fn the_blocking_driver_makes_every_round_trip_and_joins_its_threads() {
    let n = 40;
    let mut rt = blocking::blocking_pingpong(n, false);
    let r = rt.run();
    client_exited(&r);
    // A call and its reply are two messages; the server's first recv and
    // its reply_recvs carry the rest.
    assert_eq!(r.stats.messages(), 2 * n, "{r:?}");
    assert_eq!(rt.blocking_threads(), 0);
}

#[test]
fn the_blocking_crowd_runs_every_client() {
    let mut rt = blocking::blocking_crowd(3, 4, 5);
    let r = rt.run();
    assert_eq!(r.finish, Finish::AllEnded, "{r:?}");
    let exited = r
        .processes
        .iter()
        .filter(|p| p.state == ProcState::Ended(Ending::Exited))
        .count();
    assert_eq!(exited, 3 * 4, "{r:?}");
    assert_eq!(r.stats.messages(), 2 * 3 * 4 * 5);
    assert_eq!(rt.blocking_threads(), 0);
}

#[test]
fn the_bare_pingpong_finishes() {
    // It joins its partner thread, so returning at all means every round trip was made.
    blocking::parking_lot_pingpong(100);
}
