#!/usr/bin/env bash
# What the hand-run benchmarks use beyond the tests' packages: valgrind (bench.bench_intake_cost
# counts instructions with callgrind). Debian's package; needs root the first time.
set -euo pipefail
if command -v valgrind >/dev/null && command -v callgrind_control >/dev/null; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q valgrind
