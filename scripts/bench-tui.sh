#!/usr/bin/env bash
# Figures for the wizard (issue 7): render time per frame at 200x60 and model
# init + first view (TestBackend, from the ignored test `bench_render`), then,
# with the real binary in a detached tmux session: wall time from spawning the
# process to its first frame on screen, CPU used while idle for 10 s (utime +
# stime from /proc/<pid>/stat), and peak memory (VmHWM from /proc/<pid>/status)
# idle on the start screen and after the plan is built on the review screen.
#
# Usage: bash scripts/bench-tui.sh [--release]   (default: the dev profile)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
profile=debug
flag=()
if [[ "${1:-}" == "--release" ]]; then profile=release; flag=(--release); fi

echo "== TestBackend ($profile)"
cargo test -q "${flag[@]}" --bin esmtls bench_render -- --ignored --nocapture 2>/dev/null | grep '^bench ' || true

cargo build -q "${flag[@]}"
bin="$repo/target/$profile/esmtls"
tmp=$(mktemp -d)
sock="esmtls-bench-$$"
cleanup() { tmux -L "$sock" kill-server 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
mkdir -p "$tmp/es" "$tmp/kibana" "$tmp/home"
printf 'cluster.name: bench\n' > "$tmp/es/elasticsearch.yml"
printf 'server.port: 5601\n' > "$tmp/kibana/kibana.yml"

# A running server first, so the figure is the wizard's start, not tmux's.
tmux -L "$sock" new-session -d -s idle -x 120 -y 40 "cat"
now_ms() { date +%s%3N; }
wait_for() { # text, max seconds
  local deadline=$(( $(now_ms) + ${2:-30} * 1000 ))
  until tmux -L "$sock" capture-pane -p -t w 2>/dev/null | grep -q -- "$1"; do
    if (( $(now_ms) > deadline )); then echo "timed out waiting for $1" >&2; tmux -L "$sock" capture-pane -p -t w >&2 || true; exit 1; fi
    sleep 0.002
  done
}
t0=$(now_ms)
tmux -L "$sock" new-window -d -t idle -n w "exec env -i PATH=\"$PATH\" HOME='$tmp/home' TERM=xterm-256color LANG=C.UTF-8 ESMTLS_SECRET_STORE=file '$bin' setup --es-config '$tmp/es' --kibana-config '$tmp/kibana'"
wait_for "Found on this machine" 10
t1=$(now_ms)
echo "== tmux 120x40 ($profile)"
echo "first frame on screen (spawn -> visible in capture-pane, poll 2 ms): $((t1 - t0)) ms"
wait_for "config:" 10
pid=$(tmux -L "$sock" list-panes -t w -F '#{pane_pid}')
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
c0=$(ticks); sleep 10; c1=$(ticks)
echo "CPU while idle for 10 s: $(( (c1 - c0) * 1000 / hz )) ms (utime+stime ticks: $((c1 - c0)) at $hz Hz)"
echo "peak memory idle on start: $(awk '/VmHWM/ {print $2, $3}' "/proc/$pid/status")"
# Through the guide (token) and the ten steps to the review: the plan is built (keys generated).
tmux -L "$sock" send-keys -t w Enter
wait_for "Which way should Kibana" 10
for _ in $(seq 1 11); do tmux -L "$sock" send-keys -t w Enter; done
wait_for "Nothing has been written yet" 60
echo "peak memory after building the plan (review): $(awk '/VmHWM/ {print $2, $3}' "/proc/$pid/status")"
c0=$(ticks); sleep 10; c1=$(ticks)
echo "CPU while idle for 10 s on the review: $(( (c1 - c0) * 1000 / hz )) ms"
