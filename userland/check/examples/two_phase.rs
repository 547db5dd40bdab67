//! A buggy two-phase lock caught by `ipcsim_check`, and its fix.
//!
//! Three workers share a counter in a shared segment and guard it with a lock
//! flag. The buggy acquire has two phases: look at the flag (phase 1), then
//! take it (phase 2). Between the two, another worker can look too: both see
//! the lock free, both take it, both enter. Run alone it works; under
//! preemption it breaks mutual exclusion, and `search` finds a schedule that
//! shows it, shrinks it, and prints the replay. The fix acquires with one
//! atomic operation: a semaphore.
//!
//! The workers are written twice, as async Rust over `Sys` and as plain
//! blocking functions over `BlockingSys` (each on its own thread, passing one
//! baton): the two are the same protocol, give the same run under every
//! schedule, and `search` catches the bug in both.
//!
//! `cargo run --release -p ipcsim-check --example two_phase`

use ipcsim_check::{search, Config, Run};
use ipcsim_kernel::{CapId, Data, Error, ObjectKind, ObjectOptions, ProcessSpec, Rights, Syscall, Timeout};
use ipcsim_runtime::{BlockingSys, Runtime, Sys};

/// How the workers take the lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lock {
    /// Look at the flag, then set it: two steps, with a gap between.
    TwoPhase,
    /// A semaphore: one atomic step.
    Semaphore,
}

const WORKERS: i64 = 3;

async fn acquire(sys: &Sys, seg: CapId, sem: CapId, lock: Lock) -> Result<(), Error> {
    match lock {
        Lock::TwoPhase => {
            // Phase 1: wait until the flag says free.
            while sys.load(seg, 0, 1).await? == Data::str("L") {
                sys.yield_now().await?;
            }
            // Phase 2: take it. Another worker may have passed phase 1 meanwhile.
            sys.store(seg, 0, Data::str("L")).await
        }
        Lock::Semaphore => sys
            .syscall(Syscall::SemWait {
                cap: sem,
                timeout: Timeout::Never,
            })
            .await
            .map(|_| ()),
    }
}

async fn release(sys: &Sys, seg: CapId, sem: CapId, lock: Lock) -> Result<(), Error> {
    match lock {
        Lock::TwoPhase => sys.store(seg, 0, Data::str("U")).await,
        Lock::Semaphore => sys.syscall(Syscall::SemPost { cap: sem }).await.map(|_| ()),
    }
}

/// [`acquire`], blocking-style.
fn acquire_blocking(sys: &BlockingSys, seg: CapId, sem: CapId, lock: Lock) -> Result<(), Error> {
    match lock {
        Lock::TwoPhase => {
            while sys.load(seg, 0, 1)? == Data::str("L") {
                sys.yield_now()?;
            }
            sys.store(seg, 0, Data::str("L"))
        }
        Lock::Semaphore => sys
            .syscall(Syscall::SemWait {
                cap: sem,
                timeout: Timeout::Never,
            })
            .map(|_| ()),
    }
}

/// [`release`], blocking-style.
fn release_blocking(sys: &BlockingSys, seg: CapId, sem: CapId, lock: Lock) -> Result<(), Error> {
    match lock {
        Lock::TwoPhase => sys.store(seg, 0, Data::str("U")),
        Lock::Semaphore => sys.syscall(Syscall::SemPost { cap: sem }).map(|_| ()),
    }
}

/// A worker, blocking-style: the async worker of [`setup`] line for line.
fn worker_blocking(sys: &BlockingSys, i: i64, lock: Lock) -> Result<(), Error> {
    let (seg, sem) = (sys.boot_cap(0), sys.boot_cap(1));
    sys.shmat(seg, false)?;
    acquire_blocking(sys, seg, sem, lock)?;
    sys.print(format!("enter {i}"));
    let text = sys.load(seg, 8, 8)?.to_stream_bytes();
    let n: i64 = String::from_utf8_lossy(&text).trim_matches('\0').parse().unwrap_or(0);
    sys.store(seg, 8, Data::str(&format!("{:08}", n + 1)))?;
    sys.print(format!("leave {i} count {}", n + 1));
    release_blocking(sys, seg, sem, lock)
}

/// Builds the protocol: a segment, a semaphore, three workers.
pub fn setup(rt: &mut Runtime, lock: Lock) {
    build(rt, lock, false);
}

/// [`setup`] with the workers written blocking-style.
pub fn setup_blocking(rt: &mut Runtime, lock: Lock) {
    build(rt, lock, true);
}

fn build(rt: &mut Runtime, lock: Lock, blocking: bool) {
    let seg = rt
        .kernel_mut()
        .create_object(
            ObjectKind::Shm,
            "shared",
            &ObjectOptions {
                size: Some(16),
                ..ObjectOptions::default()
            },
        )
        .expect("segment");
    let sem = rt
        .kernel_mut()
        .create_object(
            ObjectKind::Semaphore,
            "mutex",
            &ObjectOptions {
                value: 1,
                ..ObjectOptions::default()
            },
        )
        .expect("semaphore");
    for i in 0..WORKERS {
        let spec = ProcessSpec::new(format!("worker{i}"));
        if blocking {
            let w = rt
                .spawn_blocking(spec, move |sys: &BlockingSys| worker_blocking(sys, i, lock))
                .expect("worker");
            grant(rt, w, seg, sem);
            continue;
        }
        let w = rt
            .spawn(spec, move |sys: Sys| async move {
                let (seg, sem) = (sys.boot_cap(0), sys.boot_cap(1));
                sys.shmat(seg, false).await?;
                acquire(&sys, seg, sem, lock).await?;
                sys.print(format!("enter {i}"));
                // The critical section: a read-modify-write of the counter.
                let text = sys.load(seg, 8, 8).await?.to_stream_bytes();
                let n: i64 = String::from_utf8_lossy(&text).trim_matches('\0').parse().unwrap_or(0);
                sys.store(seg, 8, Data::str(&format!("{:08}", n + 1))).await?;
                sys.print(format!("leave {i} count {}", n + 1));
                release(&sys, seg, sem, lock).await
            })
            .expect("worker");
        grant(rt, w, seg, sem);
    }
}

fn grant(rt: &mut Runtime, w: ipcsim_kernel::Pid, seg: ipcsim_kernel::ObjId, sem: ipcsim_kernel::ObjId) {
    rt.kernel_mut()
        .grant(w, seg, Rights::READ | Rights::WRITE, 0)
        .expect("grant");
    rt.kernel_mut()
        .grant(w, sem, Rights::WAIT | Rights::POST, 0)
        .expect("grant");
}

/// The property: at most one worker inside at a time, and no update lost.
pub fn mutual_exclusion(run: &Run) -> Result<(), String> {
    run.expect_all_exited()?;
    let mut inside: Option<&str> = None;
    for line in run.prints() {
        if let Some(who) = line.strip_prefix("enter ") {
            if let Some(other) = inside {
                return Err(format!("worker{who} entered while worker{other} was inside"));
            }
            inside = Some(who);
        } else if line.starts_with("leave ") {
            inside = None;
        }
    }
    let last = run
        .prints()
        .into_iter()
        .rev()
        .find(|l| l.starts_with("leave "))
        .unwrap_or("");
    if !last.ends_with(&format!("count {WORKERS}")) {
        return Err(format!("an update was lost: the last worker out says `{last}`"));
    }
    Ok(())
}

fn main() {
    let config = Config::default();
    match search(&config, |rt| setup(rt, Lock::TwoPhase), mutual_exclusion) {
        Ok(()) => println!("two-phase lock: no failure in {} schedules (unexpected!)", config.cases),
        Err(f) => println!("two-phase lock: {f}"),
    }
    match search(&config, |rt| setup(rt, Lock::Semaphore), mutual_exclusion) {
        Ok(()) => println!("semaphore lock: {} schedules, no failure", config.cases),
        Err(f) => println!("semaphore lock: {f}"),
    }
    match search(&config, |rt| setup_blocking(rt, Lock::TwoPhase), mutual_exclusion) {
        Ok(()) => println!("two-phase lock, blocking-style: no failure (unexpected!)"),
        Err(f) => println!("two-phase lock, blocking-style: {f}"),
    }
}
