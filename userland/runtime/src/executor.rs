//! The executor: polls the process the kernel says runs, drains events to a
//! sink as it goes, and ends processes whose bodies finish.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use ipcsim_kernel::{Ending, Event, Finish, Kernel, KernelConfig, Next, Pid, ProcessSpec};

use crate::report::Report;
use crate::sys::{KernelCell, Sys};
use crate::ProcResult;

/// A process body.
pub type ProcFuture = Pin<Box<dyn Future<Output = ProcResult>>>;

pub(crate) struct Shared {
    pub(crate) kernel: KernelCell,
    pub(crate) spawned: RefCell<Vec<(Pid, ProcFuture)>>,
    /// Whether `spawned` holds bodies to install: read after every step, so a
    /// flag rather than a borrow of the list.
    pub(crate) spawn_pending: Cell<bool>,
}

type Sink = Box<dyn FnMut(&Kernel, &[Event])>;

/// Runs simulated processes over one kernel.
pub struct Runtime {
    shared: Rc<Shared>,
    bodies: Vec<Option<ProcFuture>>,
    sink: Option<Sink>,
    steps_max: Option<u64>,
}

impl Runtime {
    /// A runtime over a fresh kernel.
    pub fn new(cfg: KernelConfig) -> Self {
        Runtime {
            shared: Rc::new(Shared {
                kernel: RefCell::new(Kernel::new(cfg)),
                spawned: RefCell::new(Vec::new()),
                spawn_pending: Cell::new(false),
            }),
            // Room for a small scenario's processes (exploration builds a runtime per run).
            bodies: Vec::with_capacity(8),
            sink: None,
            steps_max: None,
        }
    }

    /// Makes this runtime what [`Runtime::new`] with `cfg` would make: the
    /// bodies of the last run's processes are dropped, the sink and step
    /// limit are removed, and the kernel is [reset](Kernel::reset), keeping
    /// the memory of its tables and of the runtime's own. For a caller that
    /// runs many short simulations one after another (an explorer).
    pub fn reset(&mut self, cfg: KernelConfig) {
        // Bodies first: they hold handles to the shared state.
        self.bodies.clear();
        self.shared.spawned.borrow_mut().clear();
        self.shared.spawn_pending.set(false);
        self.shared.kernel.borrow_mut().reset(cfg);
        self.sink = None;
        self.steps_max = None;
    }

    /// The kernel, for set-up and queries.
    pub fn kernel_mut(&mut self) -> std::cell::RefMut<'_, Kernel> {
        self.shared.kernel.borrow_mut()
    }

    /// The kernel, read-only.
    pub fn kernel(&self) -> std::cell::Ref<'_, Kernel> {
        self.shared.kernel.borrow()
    }

    /// Sends every recorded event to `sink` as the run goes (the log keeps no history).
    pub fn set_sink(&mut self, sink: impl FnMut(&Kernel, &[Event]) + 'static) {
        self.sink = Some(Box::new(sink));
    }

    /// Stops the run after this many process steps (a livelock guard for exploration).
    pub fn set_steps_max(&mut self, steps: u64) {
        self.steps_max = Some(steps);
    }

    /// Creates a process at boot running `body`.
    pub fn spawn<F, Fut>(&mut self, spec: ProcessSpec, body: F) -> Result<Pid, ipcsim_kernel::Error>
    where
        F: FnOnce(Sys) -> Fut,
        Fut: Future<Output = ProcResult> + 'static,
    {
        self.spawn_boxed(spec, |sys| Box::pin(body(sys)))
    }

    /// [`Runtime::spawn`] for a body that is boxed already (no second box,
    /// and no second indirection on every poll).
    pub fn spawn_boxed(
        &mut self,
        spec: ProcessSpec,
        body: impl FnOnce(Sys) -> ProcFuture,
    ) -> Result<Pid, ipcsim_kernel::Error> {
        self.spawn_boxed_on(ipcsim_kernel::HostId::LOCAL, spec, body)
    }

    /// [`Runtime::spawn`] on host `host` (see [`ipcsim_kernel::Kernel::add_host`]).
    pub fn spawn_on<F, Fut>(
        &mut self,
        host: ipcsim_kernel::HostId,
        spec: ProcessSpec,
        body: F,
    ) -> Result<Pid, ipcsim_kernel::Error>
    where
        F: FnOnce(Sys) -> Fut,
        Fut: Future<Output = ProcResult> + 'static,
    {
        self.spawn_boxed_on(host, spec, |sys| Box::pin(body(sys)))
    }

    /// [`Runtime::spawn_boxed`] on host `host` (see [`ipcsim_kernel::Kernel::add_host`]).
    pub fn spawn_boxed_on(
        &mut self,
        host: ipcsim_kernel::HostId,
        spec: ProcessSpec,
        body: impl FnOnce(Sys) -> ProcFuture,
    ) -> Result<Pid, ipcsim_kernel::Error> {
        let pid = self.shared.kernel.borrow_mut().create_process_on(host, &spec, None)?;
        let sys = Sys {
            pid,
            shared: self.shared.clone(),
        };
        self.install(pid, body(sys));
        Ok(pid)
    }

    fn install(&mut self, pid: Pid, fut: ProcFuture) {
        if self.bodies.len() <= pid.index() {
            self.bodies.resize_with(pid.index() + 1, || None);
        }
        self.bodies[pid.index()] = Some(fut);
    }

    /// Runs until every non-daemon process has ended, nothing can run and no
    /// timer is due, or the time limit; returns the closing report.
    pub fn run(&mut self) -> Report {
        let finish = self.run_loop();
        self.shared.kernel.borrow_mut().final_deadlock_check();
        self.flush();
        let report = Report::build(&self.shared.kernel.borrow(), finish);
        report
    }

    fn run_loop(&mut self) -> Finish {
        let waker = Waker::noop();
        let mut cx = Context::from_waker(waker);
        // Steps left before the limit (counted down: one test per step).
        let mut budget = self.steps_max.unwrap_or(u64::MAX);
        // With the log off nothing is ever pending: no need to look after each step.
        let logging = self.shared.kernel.borrow().config().record_events;
        loop {
            let next = self.shared.kernel.borrow_mut().schedule();
            let pid = match next {
                Next::Run(pid) => pid,
                Next::Finished(f) => return f,
            };
            if budget == 0 {
                return Finish::StepLimit;
            }
            budget -= 1;
            let Some(fut) = self.bodies.get_mut(pid.index()).and_then(Option::as_mut) else {
                // A process with no body (created by the kernel API alone): it exits.
                self.shared.kernel.borrow_mut().exit(pid, Ending::Exited);
                continue;
            };
            // Every call the step makes counts against the limit too: a loop of
            // calls that complete at once is a livelock as much as one of steps.
            let calls_before = self.shared.kernel.borrow().stats().syscalls;
            let polled = fut.as_mut().poll(&mut cx);
            let calls = self.shared.kernel.borrow().stats().syscalls - calls_before;
            budget = budget.saturating_sub(calls.saturating_sub(1));
            if let Poll::Ready(r) = polled {
                self.bodies[pid.index()] = None;
                let ending = match r {
                    Ok(()) => Ending::Exited,
                    Err(e) => Ending::Failed(e),
                };
                self.shared.kernel.borrow_mut().exit(pid, ending);
            } else if self.shared.kernel.borrow().ending(pid).is_some() {
                // Killed during its own call: its body never runs again.
                self.bodies[pid.index()] = None;
            }
            if self.shared.spawn_pending.replace(false) {
                let new = std::mem::take(&mut *self.shared.spawned.borrow_mut());
                for (p, f) in new {
                    self.install(p, f);
                }
            }
            if logging {
                if self.sink.is_some() {
                    self.flush();
                } else {
                    // Nobody listens: keep the buffer from growing (inline:
                    // this runs after every step).
                    self.shared.kernel.borrow_mut().log().clear();
                }
            }
        }
    }

    fn flush(&mut self) {
        let Some(sink) = self.sink.as_mut() else {
            // Nobody listens: keep the buffer from growing.
            let mut k = self.shared.kernel.borrow_mut();
            if !k.log().is_empty() {
                k.log().clear();
            }
            return;
        };
        let mut k = self.shared.kernel.borrow_mut();
        if k.log().is_empty() {
            return;
        }
        // The sink reads the kernel's own buffer: no event is moved to be seen.
        k.log().settle();
        let kr = &*k;
        sink(kr, kr.settled_events());
        k.log().clear();
    }
}
