//! The textbook comparison as an experiment: the same request/reply exchange
//! over endpoint, mailbox, pipe, message queue, shared memory with polling
//! and a stream socket (over loopback, and across a link), for several
//! message sizes, under a cost model.
//!
//! Each measurement is a generated scenario (see [`scenario_source`]: a
//! student can print and run it), run twice, with `rounds` and `2 * rounds`
//! round trips; the difference divided by `rounds` is the cost of one round
//! trip with the setup (attaching, the first switches) cancelled out. Every
//! figure is virtual, so the table is the same on every machine.

use std::fmt::Write as _;

use ipcsim_kernel::Costs;

use crate::run::{run, RunOptions};

/// A mechanism the comparison runs the exchange over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mechanism {
    /// Synchronous endpoint: `call` / `recv` + `reply`.
    Endpoint,
    /// Two one-slot mailboxes: `send` / `recv` each way.
    Mailbox,
    /// One System V queue, requests typed 1 and replies typed 2.
    MsgQueue,
    /// Two pipes, one each way.
    Pipe,
    /// One shared segment with a status flag, both sides polling.
    ShmPolling,
    /// A stream socket between two processes of one host (loopback).
    Socket,
    /// A stream socket between two hosts over a link of
    /// [`Experiment::link_latency`].
    SocketLink,
}

impl Mechanism {
    /// Every mechanism, in table order.
    pub const ALL: [Mechanism; 7] = [
        Mechanism::Endpoint,
        Mechanism::Mailbox,
        Mechanism::MsgQueue,
        Mechanism::Pipe,
        Mechanism::ShmPolling,
        Mechanism::Socket,
        Mechanism::SocketLink,
    ];

    /// The name used in tables and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Endpoint => "endpoint",
            Mechanism::Mailbox => "mailbox",
            Mechanism::MsgQueue => "msgqueue",
            Mechanism::Pipe => "pipe",
            Mechanism::ShmPolling => "shm-polling",
            Mechanism::Socket => "socket",
            Mechanism::SocketLink => "socket-link",
        }
    }

    /// Parses a name given by [`Mechanism::name`].
    pub fn parse(s: &str) -> Option<Mechanism> {
        Mechanism::ALL.into_iter().find(|m| m.name() == s)
    }
}

/// What to measure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Experiment {
    /// Mechanisms, in table order.
    pub mechanisms: Vec<Mechanism>,
    /// Message sizes in bytes.
    pub sizes: Vec<usize>,
    /// Round trips per measurement (the runs make `rounds` and `2 * rounds`).
    pub rounds: u64,
    /// The cost model.
    pub costs: Costs,
    /// One copy per kernel message instead of two (`config copy remap`).
    pub remap: bool,
    /// The shared-memory sides' poll interval, in ticks.
    pub interval: u64,
    /// Ticks the client sleeps before each request: a request stream with
    /// gaps, during which a blocked server costs nothing and a polling one
    /// keeps looking. Latency excludes it; CPU includes what it costs.
    pub think: u64,
    /// The latency of the link `socket-link` crosses, in ticks.
    pub link_latency: u64,
}

impl Default for Experiment {
    /// The documented default model (docs/guide/02-kernel-messages.md): a
    /// tick is a nanosecond; a trap 100, a switch 500, a byte copied 1, a
    /// look at a flag that another CPU wrote 20; polls every 1000.
    fn default() -> Self {
        Experiment {
            mechanisms: Mechanism::ALL.to_vec(),
            sizes: vec![8, 64, 512, 4096, 65536],
            rounds: 10,
            costs: Costs {
                syscall_ticks: 100,
                switch_ticks: 500,
                copy_per_byte_ticks: 1,
                poll_ticks: 20,
            },
            remap: false,
            interval: 1000,
            think: 10_000,
            // 10 µs at a nanosecond a tick: two hosts on one switch.
            link_latency: 10_000,
        }
    }
}

/// The cost of one round trip over one mechanism at one size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Row {
    /// The mechanism.
    pub mechanism: Mechanism,
    /// Message bytes (each way).
    pub size: usize,
    /// Poll interval (shared memory only; 0 otherwise).
    pub interval: u64,
    /// Virtual ticks from request to reply.
    pub latency: u64,
    /// CPU ticks spent, all processes together.
    pub cpu: u64,
    /// System calls made.
    pub syscalls: u64,
    /// Loads and stores of shared memory.
    pub memory_accesses: u64,
    /// Copies the kernel made.
    pub copies: u64,
    /// Bytes the kernel copied.
    pub bytes_copied: u64,
}

/// Why a measurement could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    /// A generated scenario did not load (a bug in the generator).
    #[error("generated scenario for {mechanism} at {size} bytes does not load: {message}")]
    Load {
        /// The mechanism.
        mechanism: &'static str,
        /// The size.
        size: usize,
        /// The diagnostics.
        message: String,
    },
    /// A generated scenario did not pass (the mechanism misbehaved).
    #[error("{mechanism} at {size} bytes did not complete its round trips: {why}")]
    Failed {
        /// The mechanism.
        mechanism: &'static str,
        /// The size.
        size: usize,
        /// What the run reported.
        why: String,
    },
}

/// The scenario that makes `rounds` round trips of `size` bytes over `m`.
pub fn scenario_source(m: Mechanism, size: usize, rounds: u64, e: &Experiment, interval: u64) -> String {
    let (costs, remap, think) = (&e.costs, e.remap, e.think);
    let payload = "x".repeat(size);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# {} round trips of {size} bytes over {}, {think} ticks apart (generated by ipcsim compare)",
        rounds,
        m.name()
    );
    let _ = writeln!(
        s,
        "config cost syscall={} switch={} copy_per_byte={} poll={}",
        costs.syscall_ticks, costs.switch_ticks, costs.copy_per_byte_ticks, costs.poll_ticks
    );
    let _ = writeln!(s, "config max_time 1000000000000");
    if remap {
        let _ = writeln!(s, "config copy remap");
    }
    let body = match m {
        Mechanism::Endpoint => format!(
            "endpoint e\n\
             process server daemon caps(e: recv) {{\n    loop {{\n        recv e -> m\n        reply m.data\n    }}\n}}\n\
             process client caps(e: send) {{\n    repeat {rounds} {{\n        sleep {think}\n        call e \"{payload}\" -> r\n        expect r.len == {size}\n    }}\n}}\n"
        ),
        Mechanism::Mailbox => format!(
            "mailbox req capacity 1\nmailbox rep capacity 1\n\
             process server daemon caps(req: recv, rep: send) {{\n    loop {{\n        recv req -> m\n        send rep m.data\n    }}\n}}\n\
             process client caps(req: send, rep: recv) {{\n    repeat {rounds} {{\n        sleep {think}\n        send req \"{payload}\"\n        recv rep -> r\n        expect r.len == {size}\n    }}\n}}\n"
        ),
        Mechanism::MsgQueue => format!(
            // Linux's msgmax is 8192 by default: raised for the bigger sizes (a sysctl).
            "config msgmax {}\nmsgqueue q bytes {}\n\
             process server daemon caps(q: all) {{\n    loop {{\n        msgrcv q 1 -> m\n        msgsnd q 2 m.data\n    }}\n}}\n\
             process client caps(q: all) {{\n    repeat {rounds} {{\n        sleep {think}\n        msgsnd q 1 \"{payload}\"\n        msgrcv q 2 -> r\n        expect r.len == {size}\n    }}\n}}\n",
            size.max(8192),
            (2 * size).max(16384)
        ),
        Mechanism::Pipe => format!(
            "pipe req capacity {cap}\npipe rep capacity {cap}\n\
             process server daemon caps(req: read, rep: write) {{\n    loop {{\n        read req {size} -> d\n        write rep d\n    }}\n}}\n\
             process client caps(req: write, rep: read) {{\n    repeat {rounds} {{\n        sleep {think}\n        write req \"{payload}\"\n        read rep {size} -> r\n        expect r.len == {size}\n    }}\n}}\n",
            cap = size.max(4096)
        ),
        Mechanism::ShmPolling => format!(
            "shm box size {seg}\n\
             process server daemon caps(box: read+write) {{\n    shmat box -> base\n    loop {{\n        load box 0 1 -> flag\n        if flag == \"Q\" {{\n            load box 8 {size} -> d\n            store box 8 d\n            store box 0 \"A\"\n        }} else {{\n            sleep {interval}\n        }}\n    }}\n}}\n\
             process client caps(box: read+write) {{\n    shmat box -> base\n    repeat {rounds} {{\n        sleep {think}\n        store box 8 \"{payload}\"\n        store box 0 \"Q\"\n        load box 0 1 -> flag\n        loop {{\n            if flag == \"A\" {{\n                break\n            }}\n            sleep {interval}\n            load box 0 1 -> flag\n        }}\n        load box 8 {size} -> r\n        store box 0 \"-\"\n        expect r.len == {size}\n    }}\n}}\n",
            seg = size + 8
        ),
        Mechanism::Socket => socket_body(size, rounds, think, &payload, None),
        Mechanism::SocketLink => socket_body(size, rounds, think, &payload, Some(e.link_latency)),
    };
    s.push_str(&body);
    s.push_str("expect client exited\n");
    s
}

/// A stream socket echo: the server reads until it has the whole request
/// (a stream has no boundaries), then writes it back; on one host, or the
/// client on a second host over a link.
fn socket_body(size: usize, rounds: u64, think: u64, payload: &str, link: Option<u64>) -> String {
    let read_all = |var: &str, cap: &str| {
        format!(
            "let {var} = \"\"\n        loop {{\n            read {cap} {size} -> d\n            let {var} = {var} + d\n            if {var}.len >= {size} {{ break }}\n        }}"
        )
    };
    let server = format!(
        "    process server daemon {{\n    socket stream -> l\n    bind l 7000\n    listen l\n    accept l -> c\n    loop {{\n        {}\n        write c got\n    }}\n    }}\n",
        read_all("got", "c")
    );
    let client = format!(
        "    process client {{\n    socket stream -> s\n    connect s server_host 7000\n    repeat {rounds} {{\n        sleep {think}\n        write s \"{payload}\"\n        {}\n        expect r.len == {size}\n    }}\n    }}\n",
        read_all("r", "s")
    );
    match link {
        None => format!("host server_host {{\n{server}{client}}}\n"),
        Some(l) => format!(
            "host server_host {{\n{server}}}\nhost client_host {{\n{client}}}\nlink server_host client_host latency {l}\n"
        ),
    }
}

/// The totals of one run: (time, cpu, syscalls, memory accesses, copies, bytes copied).
type Totals = [u64; 6];

/// The harness alone: the client's pauses with no exchange, to subtract.
fn baseline_source(rounds: u64, e: &Experiment) -> String {
    let c = &e.costs;
    format!(
        "config cost syscall={} switch={} copy_per_byte={} poll={}\nconfig max_time 1000000000000\n\
         process client {{\n    repeat {rounds} {{\n        sleep {}\n    }}\n}}\nexpect client exited\n",
        c.syscall_ticks, c.switch_ticks, c.copy_per_byte_ticks, c.poll_ticks, e.think
    )
}

fn measure(m: Mechanism, size: usize, src: &str) -> Result<Totals, CompareError> {
    let sc = crate::load(src).map_err(|d| CompareError::Load {
        mechanism: m.name(),
        size,
        message: d.0.iter().map(|x| x.message.clone()).collect::<Vec<_>>().join("; "),
    })?;
    // A bound on steps, so a mechanism that stops making progress is reported, not waited for.
    let opts = RunOptions {
        steps_max: Some(50_000_000),
        ..RunOptions::default()
    };
    let (out, _rt) = run(sc, "compare.ipc", &opts, None);
    if out.exit_code() != 0 {
        let mut why: Vec<String> = out.unexpected.clone();
        why.extend(out.verdicts.iter().filter(|v| !v.holds).map(|v| v.found.clone()));
        return Err(CompareError::Failed {
            mechanism: m.name(),
            size,
            why: why.join("; "),
        });
    }
    let r = &out.report;
    let cpu = r.processes.iter().map(|p| p.cpu).sum();
    Ok([
        r.time,
        cpu,
        r.stats.syscalls,
        r.stats.memory_accesses,
        r.stats.copies(),
        r.stats.bytes_copied(),
    ])
}

/// Measures one round trip of `size` bytes over `m` (see the module docs).
pub fn round_trip(m: Mechanism, size: usize, e: &Experiment, interval: u64) -> Result<Row, CompareError> {
    let rounds = e.rounds.max(1);
    let one = measure(m, size, &scenario_source(m, size, rounds, e, interval))?;
    let two = measure(m, size, &scenario_source(m, size, 2 * rounds, e, interval))?;
    let base_one = measure(m, size, &baseline_source(rounds, e))?;
    let base_two = measure(m, size, &baseline_source(2 * rounds, e))?;
    // Per round trip, less what the client's pause costs by itself.
    let per = |i: usize| {
        let total = two[i].saturating_sub(one[i]);
        let harness = base_two[i].saturating_sub(base_one[i]);
        total.saturating_sub(harness) / rounds
    };
    Ok(Row {
        mechanism: m,
        size,
        interval: if m == Mechanism::ShmPolling { interval } else { 0 },
        latency: per(0),
        cpu: per(1),
        syscalls: per(2),
        memory_accesses: per(3),
        copies: per(4),
        bytes_copied: per(5),
    })
}

/// Runs the whole experiment: every mechanism at every size.
pub fn compare(e: &Experiment) -> Result<Vec<Row>, CompareError> {
    let mut rows = Vec::new();
    for &m in &e.mechanisms {
        for &size in &e.sizes {
            rows.push(round_trip(m, size, e, e.interval)?);
        }
    }
    Ok(rows)
}

/// Shared memory at one size over several poll intervals: latency against CPU burnt.
pub fn poll_sweep(e: &Experiment, size: usize, intervals: &[u64]) -> Result<Vec<Row>, CompareError> {
    intervals
        .iter()
        .map(|&i| round_trip(Mechanism::ShmPolling, size, e, i))
        .collect()
}

/// Human size: 8 B, 4 KiB, 64 KiB.
pub fn size_label(n: usize) -> String {
    if n >= 1024 && n.is_multiple_of(1024) {
        format!("{} KiB", n / 1024)
    } else {
        format!("{n} B")
    }
}

/// The Markdown report: the cost model, one table per size ordering, the poll sweep.
pub fn markdown(e: &Experiment, rows: &[Row], sweep: &[Row]) -> String {
    let c = &e.costs;
    let mut s = String::new();
    let _ = writeln!(s, "## One request/reply round trip, by mechanism and message size\n");
    let _ = writeln!(
        s,
        "Cost model (ticks): syscall={} switch={} copy_per_byte={} poll={}; {} copies per kernel message{}; \
         shared memory polls every {} ticks; the client pauses {} ticks before each request. \
         Per round trip, measured as the difference between runs of {} and {} round trips, less what \
         the pauses cost by themselves (so a polling side's looks during a pause count as CPU).\n",
        c.syscall_ticks,
        c.switch_ticks,
        c.copy_per_byte_ticks,
        c.poll_ticks,
        if e.remap { 1 } else { 2 },
        if e.remap { " (`config copy remap`)" } else { "" },
        e.interval,
        e.think,
        e.rounds,
        2 * e.rounds
    );
    table(&mut s, rows);
    if !sweep.is_empty() {
        let size = sweep.first().map_or(0, |r| r.size);
        let _ = writeln!(
            s,
            "\n## Shared memory with polling: the poll interval at {}\n",
            size_label(size)
        );
        table(&mut s, sweep);
    }
    s
}

fn table(s: &mut String, rows: &[Row]) {
    let _ = writeln!(
        s,
        "| mechanism | size | poll interval | latency (ticks) | CPU (ticks) | system calls | memory accesses | kernel copies | bytes copied |"
    );
    let _ = writeln!(s, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for r in rows {
        let interval = if r.mechanism == Mechanism::ShmPolling {
            r.interval.to_string()
        } else {
            "-".into()
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.mechanism.name(),
            size_label(r.size),
            interval,
            r.latency,
            r.cpu,
            r.syscalls,
            r.memory_accesses,
            r.copies,
            r.bytes_copied
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Experiment {
        Experiment {
            sizes: vec![8, 4096],
            rounds: 3,
            ..Experiment::default()
        }
    }

    #[test]
    fn kernel_mechanisms_copy_twice_each_way_and_shared_memory_never() {
        let rows = compare(&small()).expect("compare");
        assert_eq!(rows.len(), 14);
        for r in &rows {
            let (copies, syscalls) = match r.mechanism {
                // call + recv + reply per round trip (recv and reply are two calls).
                Mechanism::Endpoint => (4, 3),
                Mechanism::ShmPolling => (0, r.syscalls),
                _ => (4, 4),
            };
            assert_eq!(r.copies, copies, "{r:?}");
            assert_eq!(r.syscalls, syscalls, "{r:?}");
            assert_eq!(r.bytes_copied, copies * r.size as u64, "{r:?}");
            assert!(r.latency > 0 && r.cpu > 0, "{r:?}");
        }
        // Copies cost per byte: a bigger message is slower through the kernel...
        let at = |m, size| {
            rows.iter()
                .find(|r| r.mechanism == m && r.size == size)
                .map(|r| r.latency)
        };
        assert!(at(Mechanism::Mailbox, 4096) > at(Mechanism::Mailbox, 8));
        // ...but not through shared memory, where only the flag is polled.
        assert_eq!(at(Mechanism::ShmPolling, 4096), at(Mechanism::ShmPolling, 8));
        // Over loopback a socket costs what a pipe does (the same calls and
        // copies); across a link each round trip adds the link's latency
        // twice, on the way there and back.
        assert_eq!(at(Mechanism::Socket, 8), at(Mechanism::Pipe, 8));
        let link = Experiment::default().link_latency;
        for size in [8, 4096] {
            let (near, far) = (at(Mechanism::Socket, size), at(Mechanism::SocketLink, size));
            assert!(far.zip(near).is_some_and(|(f, n)| f >= 2 * link && f > n), "{rows:?}");
        }
    }

    #[test]
    fn remapping_halves_the_copies() {
        let e = Experiment {
            remap: true,
            mechanisms: vec![Mechanism::Mailbox, Mechanism::Endpoint],
            ..small()
        };
        for r in compare(&e).expect("compare") {
            assert_eq!(r.copies, 2, "{r:?}");
        }
    }

    #[test]
    fn a_longer_poll_interval_burns_less_and_answers_later() {
        let sweep = poll_sweep(&small(), 64, &[100, 1000, 10000]).expect("sweep");
        for w in sweep.windows(2) {
            assert!(w[1].latency > w[0].latency, "{sweep:?}");
            assert!(w[1].cpu <= w[0].cpu, "{sweep:?}");
        }
    }

    #[test]
    fn generated_scenarios_load_and_the_report_tabulates() {
        let e = small();
        for m in Mechanism::ALL {
            assert_eq!(Mechanism::parse(m.name()), Some(m));
            let src = scenario_source(
                m,
                16,
                2,
                &Experiment {
                    remap: true,
                    ..e.clone()
                },
                10,
            );
            assert!(crate::load(&src).is_ok(), "{src}");
        }
        let rows = compare(&e).expect("compare");
        let md = markdown(&e, &rows, &[]);
        assert!(md.contains("| endpoint | 8 B | - |"), "{md}");
        assert!(md.contains("| shm-polling | 4 KiB | 1000 |"), "{md}");
        assert_eq!(size_label(65536), "64 KiB");
        assert_eq!(size_label(100), "100 B");
    }
}
