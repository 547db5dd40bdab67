//! `ipcsim compare`: the textbook comparison of IPC mechanisms as a runnable
//! experiment (see `ipcsim_scenario::compare`): a Markdown table on stdout
//! (or in a file) and, on request, an SVG chart and the generated scenarios.

use ipcsim_kernel::Costs;
use ipcsim_scenario::compare::{self, Experiment, Mechanism};

use crate::chart;

/// The flags of `ipcsim compare`.
#[derive(clap::Args)]
pub struct CompareArgs {
    /// Message sizes in bytes, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [8usize, 64, 512, 4096, 65536])]
    sizes: Vec<usize>,
    /// Mechanisms, comma-separated: endpoint, mailbox, msgqueue, pipe, shm-polling, socket (two
    /// processes of one host, over loopback), socket-link (two hosts, over a link).
    #[arg(
        long,
        value_delimiter = ',',
        value_parser = parse_mechanism,
        default_value = "endpoint,mailbox,msgqueue,pipe,shm-polling,socket,socket-link"
    )]
    mechanisms: Vec<Mechanism>,
    /// Round trips per measurement (runs of N and 2N are differenced).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    rounds: u64,
    /// The cost model, as `syscall=N,switch=N,copy_per_byte=N,poll=N` (keys left out keep their defaults).
    #[arg(long, value_parser = parse_costs, default_value = "syscall=100,switch=500,copy_per_byte=1,poll=20")]
    cost: Costs,
    /// One copy per kernel message instead of two (`config copy remap`).
    #[arg(long)]
    remap: bool,
    /// Shared memory's poll interval in ticks.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    interval: u64,
    /// Ticks the client pauses before each request (a polling server keeps looking meanwhile).
    #[arg(long, default_value_t = 10_000)]
    think: u64,
    /// The latency in ticks of the link `socket-link` crosses between its two hosts.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    link_latency: u64,
    /// Poll intervals for the shared-memory sweep table.
    #[arg(long, value_delimiter = ',', default_values_t = [100u64, 300, 1000, 3000, 10000])]
    intervals: Vec<u64>,
    /// Leave out the shared-memory sweep table.
    #[arg(long)]
    no_sweep: bool,
    /// Message size of the sweep.
    #[arg(long, default_value_t = 64)]
    sweep_size: usize,
    /// Write the Markdown here instead of stdout.
    #[arg(long, value_name = "PATH")]
    markdown: Option<String>,
    /// Write an SVG chart (latency and CPU against size, per mechanism) here.
    #[arg(long, value_name = "PATH")]
    svg: Option<String>,
    /// Write each generated scenario (MECHANISM-SIZE.ipc) into this directory.
    #[arg(long, value_name = "DIR")]
    emit: Option<String>,
}

fn parse_mechanism(s: &str) -> Result<Mechanism, String> {
    Mechanism::parse(s).ok_or_else(|| {
        let names: Vec<&str> = Mechanism::ALL.iter().map(|m| m.name()).collect();
        format!("unknown mechanism `{s}` (one of {})", names.join(", "))
    })
}

fn parse_costs(s: &str) -> Result<Costs, String> {
    let mut c = Experiment::default().costs;
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| format!("`{part}`: expected KEY=TICKS"))?;
        let v: u64 = v
            .parse()
            .map_err(|_| format!("`{part}`: {v:?} is not a number of ticks"))?;
        match k {
            "syscall" => c.syscall_ticks = v,
            "switch" => c.switch_ticks = v,
            "copy_per_byte" => c.copy_per_byte_ticks = v,
            "poll" => c.poll_ticks = v,
            _ => return Err(format!("unknown cost `{k}` (syscall, switch, copy_per_byte, poll)")),
        }
    }
    Ok(c)
}

/// Runs `ipcsim compare`; returns the exit status.
pub fn compare(args: &CompareArgs) -> u8 {
    let mut sizes = args.sizes.clone();
    sizes.sort_unstable();
    sizes.dedup();
    if sizes.is_empty() || args.mechanisms.is_empty() {
        eprintln!("compare: give at least one size and one mechanism");
        return 2;
    }
    if args.intervals.contains(&0) {
        eprintln!(
            "compare: poll intervals start at 1 tick (a poller that never sleeps never lets its peer run on one CPU)"
        );
        return 2;
    }
    if sizes.first() == Some(&0) {
        eprintln!("compare: sizes start at 1 byte (an empty message cannot travel a byte stream: a pipe read of 0 bytes returns at once)");
        return 2;
    }
    if let Some(big) = sizes.iter().find(|&&s| s > 1 << 20) {
        eprintln!("compare: size {big} exceeds the kernel's message limit of 1 MiB");
        return 2;
    }
    let e = Experiment {
        mechanisms: args.mechanisms.clone(),
        sizes,
        rounds: args.rounds,
        costs: args.cost,
        remap: args.remap,
        interval: args.interval,
        think: args.think,
        link_latency: args.link_latency,
    };
    if let Some(dir) = &args.emit {
        if let Err(err) = emit(dir, &e) {
            eprintln!("{dir}: cannot write: {err}");
            return 2;
        }
    }
    let rows = match compare::compare(&e) {
        Ok(r) => r,
        Err(err) => {
            eprintln!("compare: {err}");
            return 1;
        }
    };
    let sweep = if args.no_sweep || args.intervals.is_empty() || !e.mechanisms.contains(&Mechanism::ShmPolling) {
        Vec::new()
    } else {
        match compare::poll_sweep(&e, args.sweep_size, &args.intervals) {
            Ok(r) => r,
            Err(err) => {
                eprintln!("compare: {err}");
                return 1;
            }
        }
    };
    let md = compare::markdown(&e, &rows, &sweep);
    match &args.markdown {
        Some(p) => {
            if let Err(err) = std::fs::write(p, &md) {
                eprintln!("{p}: cannot write: {err}");
                return 2;
            }
        }
        None => print!("{md}"),
    }
    if let Some(p) = &args.svg {
        let title = format!(
            "One round trip by mechanism (syscall={} switch={} copy/byte={} poll={}{})",
            e.costs.syscall_ticks,
            e.costs.switch_ticks,
            e.costs.copy_per_byte_ticks,
            e.costs.poll_ticks,
            if e.remap { ", remap" } else { "" }
        );
        let svg = match chart::svg(&rows, &title) {
            Ok(s) => s,
            Err(err) => {
                eprintln!("compare: cannot draw the chart: {err}");
                return 1;
            }
        };
        if let Err(err) = std::fs::write(p, svg) {
            eprintln!("{p}: cannot write: {err}");
            return 2;
        }
    }
    0
}

fn emit(dir: &str, e: &Experiment) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for &m in &e.mechanisms {
        for &size in &e.sizes {
            let src = compare::scenario_source(m, size, e.rounds, e, e.interval);
            std::fs::write(format!("{dir}/{}-{size}.ipc", m.name()), src)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_parse_and_refuse() {
        let c = parse_costs("syscall=1, poll=7").expect("costs");
        assert_eq!((c.syscall_ticks, c.switch_ticks, c.poll_ticks), (1, 500, 7));
        assert!(parse_costs("syscall").unwrap_err().contains("KEY=TICKS"));
        assert!(parse_costs("swtch=1").unwrap_err().contains("unknown cost"));
        assert!(parse_costs("poll=x").unwrap_err().contains("not a number"));
        assert!(parse_mechanism("tcp").unwrap_err().contains("socket-link"));
        assert_eq!(parse_mechanism("socket-link"), Ok(Mechanism::SocketLink));
    }
}
