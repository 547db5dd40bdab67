#!/usr/bin/env bash
# Renders the Mermaid diagram of every bundled scenario with Mermaid's own CLI
# (in Debian's Chromium), so a diagram that a real viewer rejects is caught.
# Not part of `make test` (it installs Chromium and an npm package); run it
# with `make check-diagrams` after changing the Mermaid view.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${TMPDIR:-/tmp}/ipcsim-diagrams
mkdir -p "$work"
if ! command -v chromium >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
fi
if [ ! -x "$work/node_modules/.bin/mmdc" ]; then
    (cd "$work" && PUPPETEER_SKIP_DOWNLOAD=1 npm i --silent @mermaid-js/mermaid-cli)
fi
cat >"$work/puppeteer.json" <<'JSON'
{"executablePath": "/usr/bin/chromium",
 "args": ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
          "--disable-component-update", "--disable-sync", "--no-first-run"]}
JSON
cargo build --release -q
failed=0
for f in scenarios/*.ipc; do
    n=$(basename "$f" .ipc)
    target/release/ipcsim run "$f" --quiet --mermaid "$work/$n.mmd" || true
    if ! "$work/node_modules/.bin/mmdc" -p "$work/puppeteer.json" -i "$work/$n.mmd" -o "$work/$n.svg" >"$work/$n.log" 2>&1; then
        echo "FAIL $n (see $work/$n.log)"
        failed=$((failed + 1))
    fi
done
echo "$(ls scenarios/*.ipc | wc -l) diagrams rendered, $failed failed"
[ "$failed" -eq 0 ]
