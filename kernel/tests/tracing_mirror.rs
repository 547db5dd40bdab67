//! The `tracing` mirror: every event the log records is also a TRACE event
//! on target `ipcsim::kernel`, whether the log is on or off, and a kernel
//! nobody listens to records nothing.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

mod common;

use common::{msg_int, Sim};
use ipcsim_kernel::*;
use tracing::span::{Attributes, Id, Record};
use tracing::{Event as TEvent, Metadata, Subscriber};

/// Counts the kernel's TRACE events.
#[derive(Clone, Default)]
struct Counter(Arc<AtomicUsize>);

impl Subscriber for Counter {
    fn enabled(&self, m: &Metadata<'_>) -> bool {
        m.target() == "ipcsim::kernel"
    }
    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::TRACE)
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, e: &TEvent<'_>) {
        if e.metadata().target() == "ipcsim::kernel" {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

/// Boots an endpoint, a server and a client, and runs three call/reply round trips.
fn exchange(record: bool) -> Kernel {
    let mut s = Sim::with(KernelConfig {
        record_events: record,
        ..KernelConfig::default()
    });
    let ep = s.obj(ObjectKind::Endpoint, "ep");
    let server = s.proc("server");
    let client = s.proc("client");
    let sc = s.cap(server, ep, Rights::RECV);
    let cc = s.cap(client, ep, Rights::SEND);
    s.blocks(server, Sim::recv(sc, Timeout::Never));
    for i in 0..3 {
        s.blocks(client, Sim::call(cc, i, Timeout::Never));
        assert_eq!(msg_int(s.result(server)), i);
        s.blocks(
            server,
            Syscall::ReplyRecv {
                cap: sc,
                msg: Message::new(Data::Int(i)),
                timeout: Timeout::Never,
            },
        );
    }
    s.k
}

/// One test, not several: `tracing` caches each callsite's interest across
/// threads, and a test in a parallel thread with no subscriber could race the
/// registration of this one's.
#[test]
fn every_logged_event_is_mirrored_with_the_log_on_or_off() {
    // Nobody listening: nothing recorded.
    let mut quiet = exchange(false);
    assert_eq!(quiet.log().total(), 0);

    let mut logged = exchange(true);
    let n = logged.log().drain().count();
    assert!(n > 20, "the exchange records its events ({n})");

    for record in [true, false] {
        let c = Counter::default();
        let mut k = tracing::subscriber::with_default(c.clone(), || exchange(record));
        assert_eq!(c.0.load(Ordering::Relaxed), n, "mirrored events (log {record})");
        assert_eq!(k.log().total(), if record { n as u64 } else { 0 });
    }
}
