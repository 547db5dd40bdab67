//! Model-based property test of streams and datagrams across two hosts:
//! random latencies, partitions (overlapping, touching, for ever), loss,
//! kills, early closes, read sizes and injected network faults (a cut
//! link, a dropped or held-back datagram), run straight on the kernel with
//! `check_invariants()` after every step, then judged against a reference:
//! - stream bytes arrive in order, each once: what the reader got is a prefix
//!   of what the writer wrote, and all of it when nothing went wrong;
//! - datagrams arrive at most once, whole, in the order sent, from their sender;
//! - nothing crosses a partition: a packet leaves when the link is whole
//!   (at once, or when the partition ends) and arrives one latency later;
//!   a datagram sent into a partition is lost, and says so.

use std::collections::BTreeMap;

use ipcsim_kernel::*;
use proptest::prelude::*;
use proptest::strategy::Strategy as _;

const STREAM_PORT: i64 = 7000;
const DGRAM_PORT: i64 = 9000;

/// One case: the network and what each process does.
#[derive(Clone, Debug)]
struct Case {
    latency: u64,
    loss: u8,
    partitions: Vec<(u64, Option<u64>)>,
    /// Chunks the stream writer writes (lengths), with a sleep before each.
    chunks: Vec<(usize, u64)>,
    /// The writer ends with `shutdown` (else `close`).
    shutdown: bool,
    /// The reader's read size, and how many reads before it closes early (None: never).
    read_max: u64,
    close_after: Option<usize>,
    /// Datagrams (payload length, sleep before each).
    dgrams: Vec<(usize, u64)>,
    /// Kill this role (0..4) at this time.
    kill: Option<(usize, u64)>,
    seed: Option<u64>,
    /// Injected faults (they strike only under a seed).
    faults: Faults,
    /// The reader is on the writer's host (loopback: no latency).
    loopback: bool,
}

fn case() -> impl proptest::strategy::Strategy<Value = Case> {
    let partition = (0u64..60, prop_oneof![4 => (1u64..30).prop_map(Some), 1 => Just(None)])
        .prop_map(|(from, len)| (from, len.map(|l| from + l)));
    (
        (1u64..8, prop_oneof![Just(0u8), Just(25), Just(60)]),
        prop::collection::vec(partition, 0..3),
        (
            prop::collection::vec((prop_oneof![6 => 1usize..7, 1 => 4000usize..9000], 0u64..6), 0..10),
            any::<bool>(),
            any::<bool>(),
        ),
        (prop_oneof![1u64..9, 4096u64..10_000], prop::option::of(0usize..4)),
        prop::collection::vec((1usize..12, 0u64..6), 0..10),
        prop::option::of((0usize..4, 0u64..50)),
        prop::option::of(any::<u64>()),
        (
            prop_oneof![Just(0u64), 1u64..20],
            any::<bool>(),
            prop_oneof![Just(0u64), 1u64..10],
            1u64..40,
        ),
    )
        .prop_map(
            |(
                (latency, loss),
                partitions,
                (chunks, shutdown, loopback),
                (read_max, close_after),
                dgrams,
                kill,
                seed,
                f,
            )| Case {
                latency,
                loss,
                partitions,
                chunks,
                shutdown,
                read_max,
                close_after,
                dgrams,
                kill,
                seed,
                loopback,
                faults: Faults {
                    partition: f.0,
                    drop_datagram: f.1,
                    reorder: f.2,
                    within: f.3,
                    ..Faults::default()
                },
            },
        )
}

/// What the roles saw.
#[derive(Debug, Default)]
struct Seen {
    attempted: Vec<u8>,
    /// Every write returned Ok and the final shutdown or close did too.
    writer_clean: bool,
    received: Vec<u8>,
    /// The reader's last read: "" (true) or an error (false), if it got one.
    reader_end: Option<bool>,
    sent: Vec<String>,
    got: Vec<(String, HostId, u16)>,
}

/// A process's next call, given its last call's result (None: it exits).
trait Role {
    fn next(&mut self, last: Option<SysResult>, seen: &mut Seen, hosts: (HostId, HostId)) -> Option<Syscall>;
}

fn cap_of(r: Option<SysResult>) -> Option<CapId> {
    match r {
        Some(Ok(Ret::Cap(c))) => Some(c),
        _ => None,
    }
}

/// Connects from host a, then sleeps and writes each chunk, then shuts
/// down or closes.
struct Writer {
    case: Case,
    step: usize,
    cap: Option<CapId>,
    pos: usize,
}

impl Role for Writer {
    fn next(&mut self, last: Option<SysResult>, seen: &mut Seen, (a, b): (HostId, HostId)) -> Option<Syscall> {
        self.step += 1;
        match self.step {
            1 => {
                return Some(Syscall::Socket {
                    stream: true,
                    unix: false,
                })
            }
            2 => {
                self.cap = cap_of(last);
                return Some(Syscall::Connect {
                    cap: self.cap?,
                    host: if self.case.loopback { a } else { b },
                    port: STREAM_PORT,
                    timeout: Timeout::Never,
                });
            }
            3 => {
                last?.ok()?;
                seen.writer_clean = true;
            }
            _ => {
                if matches!(last, Some(Err(_))) {
                    seen.writer_clean = false;
                    return None;
                }
            }
        }
        let cap = self.cap?;
        let pos = self.pos;
        self.pos += 1;
        let chunks = &self.case.chunks;
        match chunks.get(pos / 2) {
            Some((_, gap)) if pos.is_multiple_of(2) => Some(Syscall::Sleep { ticks: *gap }),
            Some((len, _)) => {
                let start = seen.attempted.len();
                let text: String = (start..start + len).map(|k| (b'a' + (k % 26) as u8) as char).collect();
                seen.attempted.extend_from_slice(text.as_bytes());
                Some(Syscall::Write {
                    cap,
                    data: Data::str(&text),
                    timeout: Timeout::Never,
                })
            }
            None if pos == 2 * chunks.len() => Some(if self.case.shutdown {
                Syscall::Shutdown { cap }
            } else {
                Syscall::Close { cap }
            }),
            None => None,
        }
    }
}

/// Listens on host b, accepts one connection, reads until the end (or
/// closes it early).
struct Reader {
    case: Case,
    step: usize,
    cap: Option<CapId>,
    conn: Option<CapId>,
    reads: usize,
    closing: bool,
}

impl Role for Reader {
    fn next(&mut self, last: Option<SysResult>, seen: &mut Seen, _: (HostId, HostId)) -> Option<Syscall> {
        self.step += 1;
        match self.step {
            1 => {
                return Some(Syscall::Socket {
                    stream: true,
                    unix: false,
                })
            }
            2 => {
                self.cap = cap_of(last);
                return Some(Syscall::Bind {
                    cap: self.cap?,
                    port: STREAM_PORT,
                });
            }
            3 => {
                last?.ok()?;
                return Some(Syscall::Listen {
                    cap: self.cap?,
                    backlog: None,
                });
            }
            4 => {
                last?.ok()?;
                return Some(Syscall::Accept {
                    cap: self.cap?,
                    timeout: Timeout::Never,
                });
            }
            5 => self.conn = cap_of(last),
            _ if self.closing => return None,
            _ => match last {
                Some(Ok(Ret::Bytes(d))) => {
                    let b = d.to_stream_bytes();
                    if b.is_empty() {
                        seen.reader_end = Some(true);
                        return None;
                    }
                    seen.received.extend_from_slice(&b);
                    self.reads += 1;
                }
                Some(Err(_)) => {
                    seen.reader_end = Some(false);
                    return None;
                }
                _ => return None,
            },
        }
        let conn = self.conn?;
        if self.case.close_after == Some(self.reads) {
            self.closing = true;
            return Some(Syscall::Close { cap: conn });
        }
        Some(Syscall::Read {
            cap: conn,
            max: self.case.read_max,
            timeout: Timeout::Never,
        })
    }
}

/// Sends the datagrams from host a.
struct Sender {
    case: Case,
    step: usize,
    cap: Option<CapId>,
}

impl Role for Sender {
    fn next(&mut self, last: Option<SysResult>, seen: &mut Seen, (_, b): (HostId, HostId)) -> Option<Syscall> {
        self.step += 1;
        if self.step == 1 {
            return Some(Syscall::Socket {
                stream: false,
                unix: false,
            });
        }
        if self.step == 2 {
            self.cap = cap_of(last);
        }
        let i = (self.step - 2) / 2;
        let (len, gap) = *self.case.dgrams.get(i)?;
        if (self.step - 2).is_multiple_of(2) {
            return Some(Syscall::Sleep { ticks: gap });
        }
        let text = format!("{i}:{}", "x".repeat(len));
        seen.sent.push(text.clone());
        Some(Syscall::SendTo {
            cap: self.cap?,
            host: b,
            port: DGRAM_PORT,
            data: Data::str(&text),
        })
    }
}

/// Receives datagrams on host b until 80 ticks pass with none.
struct Receiver {
    step: usize,
    cap: Option<CapId>,
}

impl Role for Receiver {
    fn next(&mut self, last: Option<SysResult>, seen: &mut Seen, _: (HostId, HostId)) -> Option<Syscall> {
        self.step += 1;
        match self.step {
            1 => {
                return Some(Syscall::Socket {
                    stream: false,
                    unix: false,
                })
            }
            2 => {
                self.cap = cap_of(last);
                return Some(Syscall::Bind {
                    cap: self.cap?,
                    port: DGRAM_PORT,
                });
            }
            3 => last?.ok().map(|_| ())?,
            _ => match last? {
                Ok(Ret::Datagram { data, host, port, .. }) => {
                    let text = String::from_utf8_lossy(&data.to_stream_bytes()).into_owned();
                    seen.got.push((text, host, port));
                }
                _ => return None,
            },
        }
        Some(Syscall::RecvFrom {
            cap: self.cap?,
            timeout: Timeout::Ticks(80),
        })
    }
}

/// Sleeps until its time, then kills its target.
struct Killer {
    at: u64,
    target: Pid,
    step: usize,
}

impl Role for Killer {
    fn next(&mut self, _: Option<SysResult>, _: &mut Seen, _: (HostId, HostId)) -> Option<Syscall> {
        self.step += 1;
        match self.step {
            1 => Some(Syscall::Sleep { ticks: self.at }),
            2 => Some(Syscall::Kill {
                target: self.target,
                signal: Signal::SIGKILL,
            }),
            _ => None,
        }
    }
}

struct Outcome {
    seen: Seen,
    events: Vec<Event>,
    killed: Option<usize>,
    /// The writer was not killed (by a signal: a reset it wrote into).
    writer_exited: bool,
    a: HostId,
    b: HostId,
}

fn run(c: &Case) -> Outcome {
    let cfg = KernelConfig {
        seed: c.seed,
        faults: c.faults,
        max_time: 100_000,
        ..KernelConfig::default()
    };
    let mut k = Kernel::new(cfg);
    let a = k.add_host("a").expect("host");
    let b = k.add_host("b").expect("host");
    k.add_link(a, b, c.latency, c.loss).expect("link");
    for (from, until) in &c.partitions {
        k.add_partition(a, b, *from, *until).expect("partition");
    }
    let on = |k: &mut Kernel, h, name: &str| k.create_process_on(h, &ProcessSpec::new(name), None).expect("process");
    let reader_host = if c.loopback { a } else { b };
    let pids = [
        on(&mut k, a, "writer"),
        on(&mut k, reader_host, "reader"),
        on(&mut k, a, "sender"),
        on(&mut k, b, "receiver"),
    ];
    let mut roles: Vec<Box<dyn Role>> = vec![
        Box::new(Writer {
            case: c.clone(),
            step: 0,
            cap: None,
            pos: 0,
        }),
        Box::new(Reader {
            case: c.clone(),
            step: 0,
            cap: None,
            conn: None,
            reads: 0,
            closing: false,
        }),
        Box::new(Sender {
            case: c.clone(),
            step: 0,
            cap: None,
        }),
        Box::new(Receiver { step: 0, cap: None }),
    ];
    if let Some((victim, at)) = c.kill {
        let host = [a, reader_host, a, b][victim];
        let killer = on(&mut k, host, "killer");
        assert_eq!(killer.index(), roles.len());
        roles.push(Box::new(Killer {
            at,
            target: pids[victim],
            step: 0,
        }));
    }
    let mut seen = Seen::default();
    let mut done_now: Vec<Option<SysResult>> = vec![None; roles.len()];
    let mut events = Vec::new();
    for _ in 0..100_000 {
        let Next::Run(pid) = k.schedule() else { break };
        let i = pid.index();
        let last = done_now[i].take().or_else(|| k.take_result(pid));
        match roles[i].next(last, &mut seen, (a, b)) {
            Some(call) => {
                if let ipcsim_kernel::Outcome::Done(r) = k.syscall(pid, call) {
                    done_now[i] = Some(r);
                }
            }
            None => k.exit(pid, Ending::Exited),
        }
        if let Err(e) = k.check_invariants() {
            panic!("invariants after a step of {}: {e}", k.process_name(pid));
        }
        events.extend(k.log().drain());
    }
    events.extend(k.log().drain());
    let writer_exited = !matches!(k.ending(pids[0]), Some(Ending::Killed(_)));
    let killed = c
        .kill
        .filter(|(v, _)| matches!(k.ending(pids[*v]), Some(Ending::Killed(_))))
        .map(|(v, _)| v);
    Outcome {
        seen,
        events,
        killed,
        writer_exited,
        a,
        b,
    }
}

/// The reference: when a packet sent at `t` leaves (None: never), given the
/// partitions (overlapping or touching ones are one cut).
fn leaves_at(partitions: &[(u64, Option<u64>)], t: u64) -> Option<u64> {
    let covering = |t: u64| {
        partitions
            .iter()
            .filter(|(f, u)| t >= *f && u.is_none_or(|u| t < u))
            .map(|(_, u)| *u)
            .max_by_key(|u| u.map_or(u64::MAX, |x| x))
    };
    let mut at = t;
    while let Some(end) = covering(at) {
        at = end?;
    }
    Some(at)
}

fn judge(c: &Case, o: &Outcome) -> Result<(), TestCaseError> {
    let s = &o.seen;
    // Streams: in order, each byte once.
    prop_assert!(
        s.attempted.starts_with(&s.received),
        "received {:?} is not a prefix of written {:?}",
        String::from_utf8_lossy(&s.received),
        String::from_utf8_lossy(&s.attempted)
    );
    let nothing_wrong = o.killed.is_none() && c.close_after.is_none() && s.writer_clean && o.writer_exited;
    if nothing_wrong && s.reader_end == Some(true) {
        prop_assert_eq!(&s.received, &s.attempted, "the end came before every byte");
    }
    let forever = c.partitions.iter().any(|(_, u)| u.is_none());
    if nothing_wrong && !forever {
        prop_assert_eq!(s.reader_end, Some(true), "the reader never saw the end");
    }
    // Datagrams: whole, at most once, in order (unless one was held back),
    // from the sender's host.
    let held = o
        .events
        .iter()
        .any(|e| matches!(&e.kind, EventKind::Net(n) if matches!(n.step, NetStep::Held { .. })));
    let mut last = None;
    let mut taken = std::collections::BTreeSet::new();
    for (text, host, port) in &s.got {
        let i = s.sent.iter().position(|x| x == text);
        prop_assert!(i.is_some(), "received {text:?}, never sent whole");
        prop_assert!(taken.insert(i), "{text:?} twice");
        prop_assert!(held || last < i, "{text:?} out of order");
        last = i;
        prop_assert_eq!((*host, *port), (o.a, 49_152));
    }
    // Nothing crosses a partition (the declared ones, and a cut injected
    // from the moment it strikes).
    let mut parts = c.partitions.clone();
    let mut hold = 0;
    let mut leaves: BTreeMap<u64, Option<u64>> = BTreeMap::new();
    let mut arrived: BTreeMap<u64, u64> = BTreeMap::new();
    for e in &o.events {
        let EventKind::Net(n) = &e.kind else { continue };
        let expect = leaves_at(&parts, e.time).map(|l| l + c.latency + std::mem::take(&mut hold));
        let datagram = n.what.starts_with("datagram");
        match n.step {
            NetStep::Cut { until } => {
                prop_assert!(c.faults.partition > 0 && until > e.time && until - e.time <= c.faults.partition);
                parts.push((e.time, Some(until)));
            }
            NetStep::Held { ticks } => {
                prop_assert!(datagram && ticks >= 1 && ticks <= c.faults.reorder);
                hold = ticks;
            }
            NetStep::Leaves { at } => {
                prop_assert!(n.id > 0);
                prop_assert_eq!(at, expect, "{} sent at {}", n.what, e.time);
                if datagram {
                    prop_assert!(
                        at.is_some_and(|a| a >= e.time + c.latency),
                        "a datagram left into a partition"
                    );
                    prop_assert!(
                        leaves_at(&parts, e.time) == Some(e.time),
                        "a datagram left into a partition"
                    );
                }
                leaves.insert(n.id, at);
            }
            NetStep::Arrives => {
                if n.id == 0 {
                    continue; // on one host: never left
                }
                prop_assert_eq!(
                    leaves.get(&n.id).copied().flatten(),
                    Some(e.time),
                    "{} arrived off time",
                    n.what
                );
                prop_assert!(arrived.insert(n.id, e.time).is_none(), "packet {} arrived twice", n.id);
            }
            NetStep::Lost(why) => {
                if why == "a partition" {
                    prop_assert!(leaves_at(&parts, e.time) != Some(e.time), "lost to no partition");
                }
                if why.starts_with("an injected fault") {
                    prop_assert!(c.faults.drop_datagram && c.seed.is_some());
                }
                if why == "the link's loss" {
                    prop_assert!(c.loss > 0);
                }
            }
        }
        prop_assert!(n.host == o.a || n.host == o.b);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]
    #[test]
    fn streams_and_datagrams_across_hosts_match_the_reference(c in case()) {
        let o = run(&c);
        judge(&c, &o)?;
    }
}

#[test]
fn touching_partitions_are_one_cut() {
    let parts = [(5, Some(10)), (10, Some(20)), (15, Some(30))];
    assert_eq!(leaves_at(&parts, 7), Some(30));
    assert_eq!(leaves_at(&parts, 4), Some(4));
    assert_eq!(leaves_at(&[(5, Some(10)), (10, None)], 7), None);
    // And the kernel agrees: a segment written at 7 arrives at 30 + L.
    let c = Case {
        latency: 2,
        loss: 0,
        partitions: parts.to_vec(),
        chunks: vec![(3, 3)],
        shutdown: true,
        read_max: 8,
        close_after: None,
        dgrams: vec![],
        kill: None,
        seed: None,
        faults: Faults::default(),
        loopback: false,
    };
    let o = run(&c);
    judge(&c, &o).expect("the reference");
    assert_eq!(o.seen.received, b"abc");
    let arrivals: Vec<u64> = o
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Net(n)
                if n.step == NetStep::Arrives && n.what.ends_with(" bytes") && !n.what.starts_with("room") =>
            {
                Some(e.time)
            }
            _ => None,
        })
        .collect();
    assert_eq!(arrivals, [32]);
}

/// Found by the model: on one host, a write larger than the receive buffer
/// to a reader already waiting sent 4096 bytes, the reader took them and
/// their room came back before the writer queued itself; it then waited
/// for room it had, for ever (a deadlock, and the rest never sent).
#[test]
fn a_loopback_write_larger_than_the_buffer_to_a_waiting_reader_is_delivered_whole() {
    let c = Case {
        latency: 1,
        loss: 0,
        partitions: vec![],
        chunks: vec![(4097, 0)],
        shutdown: false,
        read_max: 4096,
        close_after: None,
        dgrams: vec![(1, 1)],
        kill: None,
        // A seed that lets the reader wait before the write comes.
        seed: Some(7_500_578_056_779_347_409),
        faults: Faults::default(),
        loopback: true,
    };
    let o = run(&c);
    judge(&c, &o).expect("the reference");
    assert_eq!(o.seen.received.len(), 4097);
    assert_eq!(o.seen.reader_end, Some(true));
}
