//! Round-trip drivers shared by the benches: the in-memory floor, tokio, the
//! kernel API alone, and the runtime.

#![allow(dead_code)]

pub mod blocking;
pub mod net;

use std::collections::VecDeque;
use std::hint::black_box;

use ipcsim_kernel::*;
use ipcsim_runtime::{Runtime, Sys};

/// The in-memory floor, in steady state: push request, pop, push reply, pop.
pub struct Floor {
    req: VecDeque<u64>,
    rep: VecDeque<u64>,
}

impl Default for Floor {
    fn default() -> Self {
        Floor {
            req: VecDeque::with_capacity(4),
            rep: VecDeque::with_capacity(4),
        }
    }
}

impl Floor {
    /// One round trip.
    #[inline(never)]
    pub fn roundtrip(&mut self, i: u64) -> u64 {
        self.req.push_back(black_box(i));
        let r = self.req.pop_front().unwrap_or(0);
        self.rep.push_back(r + 1);
        self.rep.pop_front().unwrap_or(0)
    }
}

/// A tokio current-thread two-task ping-pong over `tokio::sync::mpsc`.
pub fn tokio_pingpong(n: u64) -> u64 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("tokio runtime");
    rt.block_on(async move {
        let (req_tx, mut req_rx) = tokio::sync::mpsc::channel::<u64>(1);
        let (rep_tx, mut rep_rx) = tokio::sync::mpsc::channel::<u64>(1);
        let server = tokio::spawn(async move {
            while let Some(x) = req_rx.recv().await {
                if rep_tx.send(x + 1).await.is_err() {
                    break;
                }
            }
        });
        let mut sum = 0u64;
        for i in 0..n {
            let _ = req_tx.send(i).await;
            sum = sum.wrapping_add(rep_rx.recv().await.unwrap_or(0));
        }
        drop(req_tx);
        let _ = server.await;
        sum
    })
}

/// A kernel with a server waiting in recv and a client ready to call.
pub struct KernelPair {
    pub k: Kernel,
    server: Pid,
    client: Pid,
    sc: CapId,
    cc: CapId,
}

impl KernelPair {
    pub fn new(record: bool) -> Self {
        let mut k = Kernel::new(KernelConfig {
            record_events: record,
            ..KernelConfig::default()
        });
        let ep = k
            .create_object(ObjectKind::Endpoint, "ep", &ObjectOptions::default())
            .expect("ep");
        let server = k.create_process(&ProcessSpec::new("server"), None).expect("server");
        let client = k.create_process(&ProcessSpec::new("client"), None).expect("client");
        let sc = k.grant(server, ep, Rights::RECV, 0).expect("cap");
        let cc = k.grant(client, ep, Rights::SEND, 0).expect("cap");
        assert_eq!(k.schedule(), Next::Run(server));
        let _ = k.syscall(
            server,
            Syscall::Recv {
                cap: sc,
                timeout: Timeout::Never,
            },
        );
        assert_eq!(k.schedule(), Next::Run(client));
        KernelPair {
            k,
            server,
            client,
            sc,
            cc,
        }
    }

    /// One call/reply round trip through the kernel API alone, by its typed
    /// entries (`Kernel::call`, `Kernel::reply_recv`). Out of line, as the
    /// floor's round trip is, so every bench calls one function per round
    /// trip and none is laid out inside criterion's loop differently.
    #[inline(never)]
    pub fn roundtrip(&mut self, i: i64) -> i64 {
        self.roundtrip_by(i, false)
    }

    /// The same round trip through the generic entry, `Kernel::syscall` with
    /// a `Syscall` value (out of line, as `roundtrip`).
    #[inline(never)]
    pub fn roundtrip_generic(&mut self, i: i64) -> i64 {
        self.roundtrip_by(i, true)
    }

    #[inline(always)]
    fn roundtrip_by(&mut self, i: i64, generic: bool) -> i64 {
        let k = &mut self.k;
        let msg = Message::new(Data::Int(i));
        let _ = if generic {
            k.syscall(
                self.client,
                Syscall::Call {
                    cap: self.cc,
                    msg,
                    timeout: Timeout::Never,
                },
            )
        } else {
            k.call(self.client, self.cc, msg, Timeout::Never)
        };
        let _ = k.schedule();
        let req = match k.take_result(self.server) {
            Some(Ok(Ret::Msg(m))) => m.data,
            _ => Data::Unit,
        };
        let msg = Message::new(req);
        let _ = if generic {
            k.syscall(
                self.server,
                Syscall::ReplyRecv {
                    cap: self.sc,
                    msg,
                    timeout: Timeout::Never,
                },
            )
        } else {
            k.reply_recv(self.server, self.sc, msg, Timeout::Never)
        };
        let _ = k.schedule();
        // The reply's data taken out as the request's is above. Matched
        // whole (`Message { data: Data::Int(x), .. }` with a catch-all that
        // drops the rest), the result was copied out in 16-byte loads that
        // straddle the kernel's 8-byte stores of a moment before, and waited
        // for them (store forwarding fails): about 14% of the round trip.
        let out = match k.take_result(self.client) {
            Some(Ok(Ret::Msg(m))) => m.data,
            _ => Data::Unit,
        };
        let out = match out {
            Data::Int(x) => x,
            _ => -1,
        };
        // A consumer takes the events as they come, as the runtime does after
        // every step: the buffer stays small and warm (and its memory is reused).
        if !k.log().is_empty() {
            k.log().clear();
        }
        out
    }
}

/// `n` call/reply round trips between two async processes over the runtime.
pub fn runtime_pingpong(n: u64, record: bool) -> Runtime {
    let mut rt = Runtime::new(KernelConfig {
        record_events: record,
        ..KernelConfig::default()
    });
    let ep = rt
        .kernel_mut()
        .create_object(ObjectKind::Endpoint, "ep", &ObjectOptions::default())
        .expect("ep");
    let server = rt
        .spawn(
            ProcessSpec {
                daemon: true,
                ..ProcessSpec::new("server")
            },
            |sys: Sys| async move {
                let cap = sys.boot_cap(0);
                let mut m = sys.recv(cap, Timeout::Never).await?;
                loop {
                    m = sys.reply_recv(cap, m.data, Timeout::Never).await?;
                }
            },
        )
        .expect("server");
    let client = rt
        .spawn(ProcessSpec::new("client"), move |sys: Sys| async move {
            let cap = sys.boot_cap(0);
            for i in 0..n {
                let r = sys.call(cap, Data::Int(i as i64), Timeout::Never).await?;
                black_box(r);
            }
            Ok(())
        })
        .expect("client");
    rt.kernel_mut().grant(server, ep, Rights::RECV, 0).expect("cap");
    rt.kernel_mut().grant(client, ep, Rights::SEND, 0).expect("cap");
    rt
}

/// Runs a scenario with tracing off (as `ipcsim run --trace none`); the time
/// the run itself took, loading left out. It must pass.
pub fn run_scenario(src: &str) -> std::time::Duration {
    let sc = ipcsim_scenario::load(src).expect("bench scenario loads");
    let opts = ipcsim_scenario::RunOptions {
        record: false,
        ..Default::default()
    };
    let t = std::time::Instant::now();
    let (outcome, _rt) = ipcsim_scenario::run(sc, "bench.ipc", &opts, None);
    let d = t.elapsed();
    assert_eq!(outcome.exit_code(), 0);
    d
}
