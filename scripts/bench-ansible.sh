#!/usr/bin/env bash
# Figures for the Ansible role (issue 17), from the ignored test
# `bench_fleet_figures` in tests/ansible_fleet.rs: on the SSH test fleet
# (tests/fleet_support), mode token, the wall time of the first run and of
# the no-op second run for 3 nodes + 1 Kibana, the no-op run for 9 nodes +
# 3 Kibana with forks = hosts, and the 12/4 ratio (target <= 1.5).
#
# Usage: bash scripts/bench-ansible.sh
# Needs root (namespaces, mounts, port 22) and what scripts/setup-test-deps.sh
# installs (openssh-server, the pinned ansible venv). The dev profile, as CI
# runs the tests. Measure on a quiet machine: the load average is printed
# before and after.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
bash scripts/setup-test-deps.sh
cargo test --test ansible_fleet --no-run
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
cargo test --test ansible_fleet -- --ignored --exact bench_fleet_figures --nocapture 2>&1 | grep FIGURE
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
