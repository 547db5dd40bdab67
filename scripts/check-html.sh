#!/usr/bin/env bash
# The classroom view in a real browser: writes the pages of a few bundled
# scenarios with `ipcsim run --html`, then tests/html/check.mjs steps through
# them in Debian's Chromium (playwright-core, which downloads no browser) and
# checks what they show; screenshots land beside the pages in target/html.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
fi
if [ ! -d tests/html/node_modules/playwright-core ]; then
    (cd tests/html && npm ci --silent --no-audit --no-fund)
fi
cargo build --release -q
mkdir -p target/html
for n in echo deadlock buffers_capacity semaphore_contended; do
    # The exit status is the scenario's (1 for an expected failure); the page is what is checked.
    target/release/ipcsim run "scenarios/$n.ipc" --quiet --html "target/html/$n.html" || [ $? -eq 1 ]
done
node tests/html/check.mjs target/html
