//! Fault injection flags shared by `run` and `explore`, and explore's tally
//! of which faults struck (a fault asked for that never struck must not pass
//! silently: the schedules never tested what it was asked to test).

use std::sync::atomic::{AtomicU64, Ordering};

use clap::Args;

/// Fault injection flags shared by `run` and `explore`.
#[derive(Args, Debug, Clone, Copy)]
pub struct FaultArgs {
    /// Kill one random non-daemon process (SIGKILL) at one random step of the run; the
    /// victim's own expectations are excused, the survivors must still pass.
    #[arg(long)]
    pub kill_random: bool,
    /// Stall the running process for TICKS of CPU at one random step of the run.
    #[arg(long, value_name = "TICKS", default_value_t = 0)]
    pub delay: u64,
    /// Cut one random link for 1..=TICKS ticks from one random step (what is on its way
    /// still arrives; streams wait, datagrams sent meanwhile are lost).
    #[arg(long, value_name = "TICKS", default_value_t = 0)]
    pub partition_random: u64,
    /// Drop the first datagram sent to another host at or after one random step.
    #[arg(long)]
    pub drop_random: bool,
    /// Hold the first datagram sent to another host at or after one random step back
    /// 1..=TICKS more ticks, so later ones may overtake it.
    #[arg(long, value_name = "TICKS", default_value_t = 0)]
    pub reorder_random: u64,
    /// The fault's step is drawn in 1..=N (set it near a run's number of system calls).
    #[arg(long, value_name = "N", default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..))]
    pub fault_steps: u64,
}

impl FaultArgs {
    /// The kernel's faults.
    pub fn kernel(&self) -> ipcsim_kernel::Faults {
        ipcsim_kernel::Faults {
            kill_random: self.kill_random,
            delay: self.delay,
            within: self.fault_steps,
            partition: self.partition_random,
            drop_datagram: self.drop_random,
            reorder: self.reorder_random,
        }
    }

    /// The flags that replay these faults with `ipcsim run`.
    pub fn replay_flags(&self) -> String {
        let mut s = String::new();
        if self.kill_random {
            s.push_str(" --kill-random");
        }
        if self.delay > 0 {
            s.push_str(&format!(" --delay {}", self.delay));
        }
        if self.partition_random > 0 {
            s.push_str(&format!(" --partition-random {}", self.partition_random));
        }
        if self.drop_random {
            s.push_str(" --drop-random");
        }
        if self.reorder_random > 0 {
            s.push_str(&format!(" --reorder-random {}", self.reorder_random));
        }
        if self.kernel().any() && self.fault_steps != 50 {
            s.push_str(&format!(" --fault-steps {}", self.fault_steps));
        }
        s
    }

    /// The flags asked for, each with its name, in a fixed order.
    fn asked(&self) -> Vec<(Kind, &'static str)> {
        let all = [
            (Kind::Kill, self.kill_random, "--kill-random"),
            (Kind::Delay, self.delay > 0, "--delay"),
            (Kind::Partition, self.partition_random > 0, "--partition-random"),
            (Kind::Drop, self.drop_random, "--drop-random"),
            (Kind::Reorder, self.reorder_random > 0, "--reorder-random"),
        ];
        all.into_iter()
            .filter(|(_, on, _)| *on)
            .map(|(k, _, n)| (k, n))
            .collect()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Kill,
    Delay,
    Partition,
    Drop,
    Reorder,
}

/// What a run's kernel says struck, one flag per kind.
fn struck(k: &ipcsim_kernel::Kernel) -> [bool; 5] {
    use ipcsim_kernel::NetFault;
    let net = k.injected_net();
    [
        k.injected_kill().is_some(),
        k.injected_delay().is_some(),
        net.iter().any(|f| matches!(f, NetFault::Partition { .. })),
        net.iter().any(|f| matches!(f, NetFault::Drop { .. })),
        net.iter().any(|f| matches!(f, NetFault::Hold { .. })),
    ]
}

/// The faults that struck in one run, in words (for a failure's report).
pub(crate) fn struck_lines(k: &ipcsim_kernel::Kernel) -> Vec<String> {
    use ipcsim_kernel::NetFault;
    let mut v = Vec::new();
    if let Some(p) = k.injected_kill() {
        v.push(format!("fault: killed {} (--kill-random)", k.process_name(p)));
    }
    if let Some(p) = k.injected_delay() {
        v.push(format!("fault: stalled {} (--delay)", k.process_name(p)));
    }
    for f in k.injected_net() {
        v.push(match f {
            NetFault::Partition { a, b, from, until } => format!(
                "fault: cut link {}-{} from t={from} until t={until} (--partition-random)",
                k.host_name(*a),
                k.host_name(*b)
            ),
            NetFault::Drop { from, to } => format!(
                "fault: dropped a datagram from {} to {} (--drop-random)",
                k.host_name(*from),
                k.host_name(*to)
            ),
            NetFault::Hold { from, to, ticks } => format!(
                "fault: held a datagram from {} to {} back {ticks} ticks (--reorder-random)",
                k.host_name(*from),
                k.host_name(*to)
            ),
        });
    }
    v
}

/// How many runs each fault struck in, counted across explore's threads.
#[derive(Default)]
pub(crate) struct Tally {
    runs: AtomicU64,
    struck: [AtomicU64; 5],
}

impl Tally {
    /// Counts one finished run.
    pub(crate) fn count(&self, k: &ipcsim_kernel::Kernel) {
        self.runs.fetch_add(1, Ordering::Relaxed);
        for (i, hit) in struck(k).into_iter().enumerate() {
            if hit {
                self.struck[i].fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// One line per fault asked for: in how many runs it struck, and a
    /// warning for one that never did.
    pub(crate) fn lines(&self, args: &FaultArgs) -> Vec<String> {
        let runs = self.runs.load(Ordering::Relaxed);
        args.asked()
            .into_iter()
            .map(|(kind, flag)| {
                let n = self.struck[kind as usize].load(Ordering::Relaxed);
                if n > 0 {
                    format!("fault {flag} struck in {n} of {runs} runs")
                } else {
                    let why = match kind {
                        Kind::Partition => "the scenario has no link, or no run reached its step",
                        Kind::Drop | Kind::Reorder => {
                            "no run sent a datagram to another host at or after its step (lower --fault-steps?)"
                        }
                        _ => "no run reached its step (lower --fault-steps?)",
                    };
                    format!("warning: fault {flag} never struck in {runs} runs: {why}; nothing was tested with it")
                }
            })
            .collect()
    }
}
