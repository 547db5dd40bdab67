//! The executor: polls the process the kernel says runs, drains events to a
//! sink as it goes, and ends processes whose bodies finish.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use ipcsim_kernel::{Ending, Error, Event, Finish, HostId, Kernel, KernelConfig, Next, Pid, ProcessSpec};

use crate::baton::World;
use crate::blocking::{BlockingSys, ThreadSpec};
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
    /// The blocking processes' threads, once there is one.
    pub(crate) world: RefCell<Option<Arc<World>>>,
}

impl Shared {
    /// The blocking processes' world, made on first use.
    pub(crate) fn world(&self) -> Arc<World> {
        self.world.borrow_mut().get_or_insert_with(World::new).clone()
    }

    /// Every blocking process's thread released and joined (see [`World::release_all`]).
    fn release_threads(&self) {
        let world = self.world.borrow().clone();
        if let Some(w) = world {
            w.release_all(&mut self.kernel.borrow_mut());
        }
    }
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
                world: RefCell::new(None),
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
        self.shared.release_threads();
        *self.shared.world.borrow_mut() = None;
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

    /// Creates a blocking process at boot running `body` on its own thread
    /// (of the default [`ThreadSpec`]): see [`BlockingSys`].
    pub fn spawn_blocking<F>(&mut self, spec: ProcessSpec, body: F) -> Result<Pid, Error>
    where
        F: FnOnce(&BlockingSys) -> ProcResult + Send + 'static,
    {
        let thread = ThreadSpec {
            stack_size: self.shared.world().state.lock().stack_size,
        };
        self.spawn_blocking_on(HostId::LOCAL, spec, thread, body)
    }

    /// [`Runtime::spawn_blocking`] on host `host`, on a thread made as `thread` says.
    /// Fails [`Error::LimitReached`] past the run's limit of blocking
    /// processes ([`Runtime::set_blocking_limit`]) or when the OS refuses a thread.
    pub fn spawn_blocking_on<F>(
        &mut self,
        host: HostId,
        spec: ProcessSpec,
        thread: ThreadSpec,
        body: F,
    ) -> Result<Pid, Error>
    where
        F: FnOnce(&BlockingSys) -> ProcResult + Send + 'static,
    {
        let world = self.shared.world();
        let mut st = world.state.lock();
        if !st.has_room() {
            return Err(Error::LimitReached);
        }
        let mut k = self.shared.kernel.borrow_mut();
        let pid = k.create_process_on(host, &spec, None)?;
        if let Err(e) = world.start(&mut st, pid, &spec.name, thread.stack_size, Box::new(body)) {
            k.exit(pid, Ending::Failed(e));
            return Err(e);
        }
        Ok(pid)
    }

    /// At most `n` blocking processes alive at once in this run (default
    /// [`crate::DEFAULT_BLOCKING_LIMIT`]); a spawn past it fails [`Error::LimitReached`].
    pub fn set_blocking_limit(&mut self, n: usize) {
        self.shared.world().state.lock().limit = n;
    }

    /// The stack size of blocking processes spawned without a [`ThreadSpec`]
    /// (default [`crate::DEFAULT_STACK_SIZE`]).
    pub fn set_blocking_stack_size(&mut self, bytes: usize) {
        self.shared.world().state.lock().stack_size = bytes;
    }

    /// Blocking processes' threads started and not yet joined (none once
    /// [`Runtime::run`] has returned).
    pub fn blocking_threads(&self) -> usize {
        self.shared.world.borrow().as_ref().map_or(0, |w| w.threads())
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
        // No thread outlives the run, however it ended.
        self.shared.release_threads();
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
        let mut next = self.shared.kernel.borrow_mut().schedule();
        loop {
            let pid = match next {
                Next::Run(pid) => pid,
                Next::Finished(f) => return f,
            };
            if budget == 0 {
                return Finish::StepLimit;
            }
            budget -= 1;
            let Some(fut) = self.bodies.get_mut(pid.index()).and_then(Option::as_mut) else {
                // The budget goes by value: its address taken here would keep
                // it in memory for the whole hot loop.
                (next, budget) = self.step_without_future(pid, budget, logging);
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
            next = self.shared.kernel.borrow_mut().schedule();
        }
    }

    /// A step of a process with no future: a blocking process's thread gets
    /// the baton; a process with no body at all (created by the kernel API
    /// alone) exits. Gives what runs next and the steps left.
    #[cold]
    fn step_without_future(&mut self, pid: Pid, mut budget: u64, logging: bool) -> (Next, u64) {
        let world = self.shared.world.borrow().clone();
        match world.filter(|w| w.has(pid)) {
            Some(w) => {
                // Threads hand the baton to each other only when no sink waits
                // for each step's events.
                let direct = self.sink.is_none();
                let handback = w.resume(
                    &mut self.shared.kernel.borrow_mut(),
                    pid,
                    &mut budget,
                    direct,
                    logging && direct,
                );
                if logging {
                    self.flush();
                }
                if let Some(n) = handback {
                    return (n, budget);
                }
            }
            None => self.shared.kernel.borrow_mut().exit(pid, Ending::Exited),
        }
        (self.shared.kernel.borrow_mut().schedule(), budget)
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

impl Drop for Runtime {
    /// A runtime dropped before (or without) its run still joins every thread.
    fn drop(&mut self) {
        self.bodies.clear();
        self.shared.release_threads();
    }
}
