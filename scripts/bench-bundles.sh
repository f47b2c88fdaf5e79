#!/usr/bin/env bash
# Benchmark (not a test): `esmtls plan --answers cluster.yml --bundle DIR` for
# clusters of 3, 10 and 50 nodes and one Kibana, mode mtls-token, every
# certificate issued by esmtls with RSA-2048 keys (one HTTP certificate per
# node, one client certificate for Kibana, a new CA).
#
# For each size it measures, interleaved, RUNS times (default 5) and at least
# enough runs for MIN_KEYS (default 1000) keys, since one RSA key's time varies
# a lot (sd ~ 0.5 x mean) and a few keys make a noisy median (at 3 nodes, 40
# runs put the ratio anywhere within +-8 %; 200 runs within +-4 %):
#   fresh   a new bundle dir and a new HOME: a new CA and every key made;
#   second  the same command again on that bundle dir: the CA and every
#           certificate reused (es01's key must not change);
#   keygen  the serial time of the same keys in the same build
#           (examples/keygen.rs: nodes + 1 client + 1 CA key, one thread);
#   scaling how much slower one key is made while every core makes keys:
#           `cores` keygen processes at once, each making keys/cores keys,
#           their time per key over keygen's (1.00 = the cores scale
#           perfectly; a VM whose cores share a host often does not).
# It prints the medians, ratio = fresh wall / (keygen serial / cores) with
# its target (<= 1.15), ratio / scaling (what esmtls adds over the best the
# machine's cores give: the same target), and the peak RSS of the runs
# (target <= 50 MiB).
#
# The bundles are written under BENCH_DIR (default target/bench-bundles), not
# /tmp: on an ext4 file system without a journal (this VM's), a new inode is
# not taken from those freed in the last 30 s, and each one passed over costs
# a lookup; /tmp, where every test run creates and deletes thousands of
# files, made the 50-node bundle's ~570 files take 0.16-0.19 s instead of
# 0.03 s (EC keys, same disk, 2026-12-04). An operator's bundle directory is
# an ordinary one.
#
# Usage: scripts/bench-bundles.sh       (sizes 3 10 50: 200, 84 and 20 runs, ~6 min)
#        RUNS=9 SIZES="3 10 50 100" scripts/bench-bundles.sh
#        KEY=ec-p256 scripts/bench-bundles.sh   (keys in ~0.1 ms: the fresh
#            wall is then nearly all the work that is not key generation)
#        BENCH_DIR=/dev/shm scripts/bench-bundles.sh   (bundles on tmpfs)
# Needs bash, python3 and cargo; builds the release binary and the keygen
# example first (target/release, or $CARGO_TARGET_DIR). Measure on a quiet
# machine: the load average is printed before and after, with a warning when
# the 1-min load is above 1.5 (then run it again).
# Nothing leaves the machine: the nodes have loopback addresses, and
# `elasticsearch.url` is a loopback port where nothing listens, so the plan's
# "is the cluster reachable" probe is refused at once (license: trial is used).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${RUNS:-5}"
MIN_KEYS="${MIN_KEYS:-1000}"
SIZES="${SIZES:-3 10 50}"
KEY="${KEY:-rsa2048}"
RATIO_TARGET="${RATIO_TARGET:-1.15}"
RSS_TARGET_MIB="${RSS_TARGET_MIB:-50}"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
ESMTLS="$TARGET_DIR/release/esmtls"
KEYGEN="$TARGET_DIR/release/examples/keygen"

(cd "$ROOT" && cargo build --release --quiet --bin esmtls --example keygen)

CORES="$(nproc)"
# The CA holder's own Elasticsearch/Kibana (detection) plays no part here.
unset ES_PATH_CONF KBN_PATH_CONF
# Peak RSS: GNU time's %M when /usr/bin/time is there (its own process is
# ~1 MiB, far below the figure; it adds ~1 ms to the wall time), else the
# command's VmHWM in /proc, read every 2 ms until it exits. Not python's own
# wait4 rusage: a child spawned by python starts with python's ~13 MiB as
# its maxrss floor.
BENCH_GNU_TIME=0
if [ -z "${BENCH_NO_GNU_TIME:-}" ] && /usr/bin/time -f %M -o /dev/null true 2>/dev/null; then
    BENCH_GNU_TIME=1
fi
export BENCH_GNU_TIME
BENCH_DIR="${BENCH_DIR:-$TARGET_DIR/bench-bundles}"
mkdir -p "$BENCH_DIR"
WORK="$(mktemp -d "$BENCH_DIR/run.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

check_load() {
    local l
    l="$(cut -d' ' -f1 /proc/loadavg)"
    echo "load average ($1): $(cut -d' ' -f1-3 /proc/loadavg)"
    if python3 -c "import sys; sys.exit(0 if float('$l') > 1.5 else 1)"; then
        echo "WARNING: 1-min load $l > 1.5: other work competes for the cores; run it again when the machine is quiet"
    fi
}

# One timed run: prints "<wall seconds> <peak RSS KiB>"; the command's output
# goes to $WORK/last.log.
cat >"$WORK/run.py" <<'PY'
import os, sys, time
logf, argv = sys.argv[1], sys.argv[2:]
log = os.open(logf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
gnu_time = os.environ.get("BENCH_GNU_TIME") == "1"
rssf = logf + ".rss"
if gnu_time:
    argv = ["/usr/bin/time", "-f", "%M", "-o", rssf] + argv
fa = [(os.POSIX_SPAWN_DUP2, log, 1), (os.POSIX_SPAWN_DUP2, log, 2),
      (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0)]
hwm = 0
t = time.perf_counter()
pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=fa)
if gnu_time:
    _, status = os.waitpid(pid, 0)
else:
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        hwm = max(hwm, int(line.split()[1]))
        except OSError:
            pass
        time.sleep(0.002)
wall = time.perf_counter() - t
code = os.waitstatus_to_exitcode(status)
if code != 0:
    sys.stderr.write(open(logf).read())
    sys.exit(f"exit {code}: {' '.join(argv)}")
if gnu_time:
    hwm = int(open(rssf).read().split()[-1])
print(f"{wall:.4f} {hwm}")
PY
timed() { python3 "$WORK/run.py" "$WORK/last.log" "$@"; }
# A fresh HOME (and XDG dirs) per run: nothing of an earlier run is found there.
in_home() {
    local h="$1"
    shift
    HOME="$h" XDG_DATA_HOME="$h/.local/share" XDG_CONFIG_HOME="$h/.config" \
        XDG_STATE_HOME="$h/.local/state" "$@"
}
py() { python3 -c "$1"; }
median() { python3 -c 'import statistics,sys; print(f"{statistics.median(float(x) for x in sys.argv[1:]):.3f}")' "$@"; }
max_mib() { python3 -c 'import sys; print(f"{max(int(x) for x in sys.argv[1:]) / 1024:.1f}")' "$@"; }

answers() { # answers NODES FILE
    local n="$1" f="$2" i
    {
        echo "mode: mtls-token"
        echo "license: trial"
        echo "ca:"
        echo "  source: new"
        echo "  key_type: $KEY"
        echo "server_certificate:"
        echo "  generate: yes"
        echo "  key_type: $KEY"
        echo "client_certificate:"
        echo "  key_type: $KEY"
        echo "elasticsearch:"
        echo "  version: 8.15.0"
        echo "  url: https://127.0.0.1:9"
        echo "topology:"
        echo "  elasticsearch:"
        for ((i = 1; i <= n; i++)); do
            echo "    - name: es$(printf %02d "$i")"
            echo "      ip: [127.0.$((i / 250 + 1)).$((i % 250 + 1))]"
            echo "      config: $WORK/nowhere/es$i/config"
        done
        echo "  kibana:"
        echo "    - name: kb01"
        echo "      config: $WORK/nowhere/kb01/config"
    } >"$f"
}

digest() { sha256sum "$1" | cut -d' ' -f1; }

# parallel_per_key KEYS SERIAL_SECONDS: `cores` keygen processes at once,
# each making ceil(KEYS/cores) keys; prints their time per key over the
# serial run's time per key.
parallel_per_key() {
    local keys="$1" serial="$2" each c pids=()
    each=$(((keys + CORES - 1) / CORES))
    for ((c = 1; c <= CORES; c++)); do
        "$KEYGEN" "$each" "$KEY" >"$WORK/par.$c" &
        pids+=("$!")
    done
    wait "${pids[@]}"
    python3 -c '
import sys
keys, serial, each = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
par = [float(open(f).read().split()[0]) for f in sys.argv[4:]]
print(f"{(sum(par) / (each * len(par))) / (serial / keys):.3f}" if serial > 0 else "1")
' "$keys" "$serial" "$each" "$WORK"/par.*
}

echo "esmtls: $ESMTLS"
echo "cores: $CORES; sizes: $SIZES; runs per size: at least $RUNS and $MIN_KEYS keys; key type: $KEY"
echo "peak RSS from: $([ "$BENCH_GNU_TIME" = 1 ] && echo "/usr/bin/time %M" || echo "/proc/PID/status VmHWM")"
check_load "start"

rows=()
for n in $SIZES; do
    a="$WORK/cluster-$n.yml"
    answers "$n" "$a"
    keys=$((n + 2)) # n HTTP keys, Kibana's client key, the CA's key
    runs=$(((MIN_KEYS + keys - 1) / keys))
    [ "$runs" -ge "$RUNS" ] || runs="$RUNS"
    fresh=() second=() keygen=() scaling=() rss_fresh=() rss_second=()
    for ((r = 1; r <= runs; r++)); do
        home="$WORK/home-$n-$r" bundle="$WORK/bundles-$n-$r"
        mkdir -p "$home"
        cmd=("$ESMTLS" plan --answers "$a" --bundle "$bundle")
        read -r w m < <(in_home "$home" timed "${cmd[@]}")
        fresh+=("$w") rss_fresh+=("$m")
        if [ ! -f "$bundle/es01/keys/http.key" ] || [ ! -f "$bundle/kb01/keys/client.key" ]; then
            echo "no keys in $bundle; esmtls said:" >&2
            cat "$WORK/last.log" >&2
            exit 1
        fi
        before="$(digest "$bundle/es01/keys/http.key")"
        timed "$KEYGEN" "$keys" "$KEY" >/dev/null
        keygen+=("$(cut -d' ' -f1 "$WORK/last.log")")
        scaling+=("$(parallel_per_key "$keys" "$(cut -d' ' -f1 "$WORK/last.log")")")
        read -r w m < <(in_home "$home" timed "${cmd[@]}")
        second+=("$w") rss_second+=("$m")
        if [ "$(digest "$bundle/es01/keys/http.key")" != "$before" ]; then
            echo "the second run made a new key for es01: it should reuse the bundle's" >&2
            exit 1
        fi
        # Kept until the end: deleting them here would make the next run's
        # files take inodes freed seconds ago (see the top).
    done
    mf="$(median "${fresh[@]}")"
    ms="$(median "${second[@]}")"
    mk="$(median "${keygen[@]}")"
    # EC keys take ~0.1 ms: no meaningful ratio then.
    ratio="$(py "print(f'{$mf / ($mk / $CORES):.2f}' if $mk >= 0.01 else '-')")"
    msc="$(median "${scaling[@]}")"
    own="$(py "print('-' if '$ratio' == '-' else f'{float(\"$ratio\") / $msc:.2f}')")"
    met="$(py "print('-' if '$ratio' == '-' else 'yes' if float('$ratio') <= $RATIO_TARGET else 'NO')")"
    pf="$(max_mib "${rss_fresh[@]}")"
    ps="$(max_mib "${rss_second[@]}")"
    rss_met="$(py "print('yes' if max($pf, $ps) <= $RSS_TARGET_MIB else 'NO')")"
    rows+=("$(printf '%5s %5s %5s %8s %8s %8s %5s %6s %5s %7s %9s %8s %8s %6s' \
        "$n" "$keys" "$runs" "$mf" "$ms" "$mk" "$CORES" "$ratio" "$met" "$msc" "$own" "$pf" "$ps" "$rss_met")")
    echo "$n nodes, $runs runs: fresh [${fresh[*]}] s"
    echo "    second [${second[*]}] s"
    echo "    keygen [${keygen[*]}] s"
    echo "    scaling [${scaling[*]}]"
done
check_load "end"

echo
echo "ratio = fresh wall / (keygen serial / cores): target <= $RATIO_TARGET; peak RSS target <= $RSS_TARGET_MIB MiB"
echo "fresh, second, keygen: medians of the runs (seconds); scaling: median time per key with every core busy over serial;"
echo "ratio/scal: the ratio over the machine's own scaling (target <= $RATIO_TARGET too); RSS: the largest run (MiB)"
printf '%5s %5s %5s %8s %8s %8s %5s %6s %5s %7s %9s %8s %8s %6s\n' \
    nodes keys runs fresh second keygen cores ratio met scaling ratio/scal "RSS" "RSS2nd" "RSS ok"
printf '%s\n' "${rows[@]}"
