//! Socket drivers shared by the benches: a stream round trip and a datagram
//! flow across two hosts through the runtime, and the many-hosts scenario.

use std::hint::black_box;

use ipcsim_kernel::*;
use ipcsim_runtime::{Domain, Runtime, SockType, Sys};

/// The link's latency in the runtime benches (any latency costs the same
/// work: a segment is one timer however far away it lands).
const LATENCY: u64 = 10;

/// A runtime with hosts `server` and `client` joined by a link.
fn two_hosts(record: bool) -> (Runtime, HostId, HostId) {
    let mut rt = Runtime::new(KernelConfig {
        record_events: record,
        // A round trip takes two latencies of virtual time: a long run
        // must not stop at the default limit.
        max_time: Time::MAX,
        ..KernelConfig::default()
    });
    let (server, client) = {
        let mut k = rt.kernel_mut();
        let hosts = (k.add_host("server").expect("host"), k.add_host("client").expect("host"));
        k.add_link(hosts.0, hosts.1, LATENCY, 0).expect("link");
        hosts
    };
    (rt, server, client)
}

fn daemon(name: &str) -> ProcessSpec {
    ProcessSpec {
        daemon: true,
        ..ProcessSpec::new(name)
    }
}

/// `n` request/reply round trips of 4 bytes over one stream connection from
/// host `client` to an echo server on host `server` (connected before the
/// first: the handshake is one round trip of `n + 1`).
pub fn stream_pingpong(n: u64, record: bool) -> Runtime {
    let (mut rt, server, client) = two_hosts(record);
    rt.spawn_on(server, daemon("server"), |sys: Sys| async move {
        let l = sys.socket(Domain::Inet, SockType::Stream).await?;
        sys.bind(l, 7000).await?;
        sys.listen(l, None).await?;
        let c = sys.accept(l, Timeout::Never).await?;
        loop {
            let got = sys.read(c, 4, Timeout::Never).await?;
            sys.write(c, got, Timeout::Never).await?;
        }
    })
    .expect("server");
    rt.spawn_on(client, ProcessSpec::new("client"), move |sys: Sys| async move {
        let s = sys.socket(Domain::Inet, SockType::Stream).await?;
        sys.connect(s, server, 7000, Timeout::Never).await?;
        let ping = Data::str("ping");
        for _ in 0..n {
            sys.write(s, ping.clone(), Timeout::Never).await?;
            black_box(sys.read(s, 4, Timeout::Never).await?);
        }
        Ok(())
    })
    .expect("client");
    rt
}

/// Datagrams per acknowledgement in [`datagram_flow`]: half the receive queue,
/// so none is lost to a full queue.
pub const BURST: u64 = 32;

/// `n` datagrams of 16 bytes from host `client` to a server on host
/// `server`, sent in bursts of [`BURST`], each burst acknowledged by one
/// datagram back before the next leaves (`n` is rounded up to whole bursts).
pub fn datagram_flow(n: u64, record: bool) -> Runtime {
    let (mut rt, server, client) = two_hosts(record);
    rt.spawn_on(server, daemon("server"), |sys: Sys| async move {
        let s = sys.socket(Domain::Inet, SockType::Dgram).await?;
        sys.bind(s, 5000).await?;
        let ack = Data::str("ack");
        loop {
            let mut from = None;
            for _ in 0..BURST {
                let d = sys.recvfrom(s, Timeout::Never).await?;
                from = Some((d.host, d.port));
            }
            if let Some((host, port)) = from {
                sys.sendto(s, host, port, ack.clone()).await?;
            }
        }
    })
    .expect("server");
    rt.spawn_on(client, ProcessSpec::new("client"), move |sys: Sys| async move {
        let s = sys.socket(Domain::Inet, SockType::Dgram).await?;
        let payload = Data::str("0123456789abcdef");
        for _ in 0..n.div_ceil(BURST) {
            for _ in 0..BURST {
                sys.sendto(s, server, 5000, payload.clone()).await?;
            }
            black_box(sys.recvfrom(s, Timeout::Never).await?);
        }
        Ok(())
    })
    .expect("client");
    rt
}

/// A scenario of `hosts` client hosts, each linked to one server host and
/// making `rounds` request/reply round trips over its own stream connection;
/// the server accepts each connection and spawns a worker for it (a
/// process-per-connection server, the classic fork-after-accept).
pub fn many_hosts_src(hosts: usize, rounds: u64) -> String {
    let mut s = String::from(
        "config max_time 1000000000000000\n\
         host server_host {\n\
         process server daemon {\n  socket stream -> l\n  bind l 7000\n  listen l backlog 1024\n\
           loop {\n    accept l -> c\n    spawn worker share c\n    close c\n  }\n}\n\
         program worker {\n  loop {\n    read c 4 -> d\n    if d == \"\" { break }\n    write c d\n  }\n}\n\
         }\n",
    );
    for i in 0..hosts {
        s.push_str(&format!(
            "host h{i} {{\nprocess client{i} {{\n  socket stream -> s\n  connect s server_host 7000\n\
               repeat {rounds} {{\n    write s \"ping\"\n    read s 4 -> r\n  }}\n  close s\n}}\n}}\n\
             link h{i} server_host latency {LATENCY}\n"
        ));
    }
    s
}
