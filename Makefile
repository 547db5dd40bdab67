# The Makefile mirrors CI: fmt, lint, test, doc, bench.
CARGO ?= cargo

.PHONY: run test fmt lint unit doc bench bench-instr bench-ratios conformance check-scenarios check-diagrams check-html check-linux fuzz trace-corpus

run:
	$(CARGO) run --release -- run scenarios/echo.ipc

# Everything CI checks, in the order a reviewer would: format, lints, tests.
test: fmt lint unit

fmt:
	$(CARGO) fmt --all --check

lint:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

unit:
	$(CARGO) test --workspace

doc:
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps

bench:
	$(CARGO) bench --workspace

# Instructions per round trip and per explored run (callgrind): figures that
# do not move with a noisy machine's load.
bench-instr:
	scripts/instr-counts.sh

# Each round trip's ratio to the VecDeque floor, the two timed milliseconds
# apart in turn (criterion times them seconds apart: on a noisy machine the
# ratio then moves with the load). Then the socket goals: a stream round trip
# across two hosts against the endpoint's, datagrams, 1,000 hosts against 10.
# Then blocking processes against a bare parking_lot ping-pong, on two CPUs
# and on one (taskset), with 1,000 blocking processes' peak memory.
bench-ratios:
	$(CARGO) run --release -q -p ipcsim-tests --example hot_loop -- ratios
	$(CARGO) run --release -q -p ipcsim-tests --example net_ratios
	$(CARGO) build --release -q -p ipcsim-tests --example blocking_ratios
	target/release/examples/blocking_ratios
	taskset -c 0 target/release/examples/blocking_ratios

# The shared contract suite (needs ../shared beside this repository).
conformance:
	../shared/conformance/run

check-scenarios:
	$(CARGO) run --release -q -- check scenarios/*.ipc

# The classroom view (`run --html`) stepped through in Debian's Chromium.
check-html:
	scripts/check-html.sh

# Renders every scenario's Mermaid diagram with Mermaid's CLI in Debian's Chromium.
check-diagrams:
	scripts/check-diagrams.sh

# Seeded JSON traces of every scenario under every mode, with a digest each:
# run it on two builds and diff the SUMS files (TRACES=dir, default /tmp/traces).
trace-corpus:
	$(CARGO) build --release -q
	scripts/trace-corpus.sh target/release/ipcsim $(or $(TRACES),/tmp/traces)

# Coverage-guided fuzzing (cargo fuzz, nightly): every target for FUZZ_SECONDS
# (default 60) each. Crashes go to fuzz/artifacts; see scripts/fuzz.sh.
fuzz:
	scripts/fuzz.sh $(FUZZ_SECONDS)

# Each Linux program in tests/linux beside its scenario: both must pass, so
# ipcsim and this Linux host agree (needs Linux and gcc; root for the uid checks).
check-linux:
	$(CARGO) build --release -q
	tests/linux/run target/release/ipcsim
