#!/usr/bin/env bash
# The README's test command: install what the tests call, then run every test.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bash "$repo/scripts/setup-test-deps.sh"
cd "$repo"
# The core must build without the terminal front end (no ratatui/crossterm in it).
cargo build --locked --lib --no-default-features
cargo test --locked --all-targets
