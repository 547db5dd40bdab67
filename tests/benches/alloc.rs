//! Allocations per round trip in steady state, counted with dhat's heap
//! statistics: the kernel API and the runtime must allocate nothing per call
//! once warm. Prints the counts and fails loudly if a round trip allocates.

mod common;

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

fn main() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let n = 10_000u64;

    let mut pair = common::KernelPair::new(false);
    for i in 0..1000 {
        pair.roundtrip(i);
    }
    let before = dhat::HeapStats::get();
    for i in 0..n as i64 {
        pair.roundtrip(i);
    }
    let after = dhat::HeapStats::get();
    let kernel_allocs = after.total_blocks - before.total_blocks;

    // The runtime: compare a long run with a short one, so set-up cost cancels out.
    let count = |calls: u64| {
        let mut rt = common::runtime_pingpong(calls, false);
        let before = dhat::HeapStats::get();
        rt.run();
        dhat::HeapStats::get().total_blocks - before.total_blocks
    };
    let short = count(1000);
    let long = count(1000 + n);
    let runtime_allocs = long.saturating_sub(short);

    println!(
        "allocations per round trip, kernel API alone: {:.4}",
        kernel_allocs as f64 / n as f64
    );
    println!(
        "allocations per round trip, runtime: {:.4}",
        runtime_allocs as f64 / n as f64
    );
    let max_kernel = after.max_bytes;
    println!("peak heap bytes (kernel API bench): {max_kernel}");
    if kernel_allocs > 0 || runtime_allocs > 0 {
        eprintln!("a round trip allocates in steady state");
        std::process::exit(1);
    }
}
