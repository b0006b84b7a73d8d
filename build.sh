#!/usr/bin/env bash
# The repository's entry points.
#   ./build.sh test    install redis-server if missing (where allowed), build, run every test, print "N passed, N failed"
#   ./build.sh pack    pack Okome.Caching, Okome.Budget, Okome.Planner into artifacts/packages
#   ./build.sh bench   run the BenchmarkDotNet suite (pass BenchmarkDotNet arguments after --)
#   ./build.sh bench-ci        the short benchmark subset and modes CI runs, compared with benchmarks/ci/baseline.json
#   ./build.sh publish-arm64   self-contained linux-arm64 builds of the sample and the benchmark runner in artifacts/arm64
set -euo pipefail
cd "$(dirname "$0")"
configuration=${CONFIGURATION:-Release}

ensure_redis() {
  if [ -n "${OKOME_TEST_REDIS:-}" ] || command -v redis-server >/dev/null 2>&1; then
    return
  fi
  if command -v apt-get >/dev/null 2>&1; then
    local sudo=""
    if [ "$(id -u)" != "0" ]; then
      if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
        echo "redis-server is missing and this user cannot install it: run 'apt-get install redis-server' as root, or set OKOME_TEST_REDIS=host:port." >&2
        exit 1
      fi
    fi
    echo "Installing redis-server (Debian package) for the tests..."
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server >/dev/null
    return
  fi
  cat >&2 <<'MSG'
The tests need a real Redis and redis-server is not on PATH. Install it
(Fedora: 'sudo dnf install redis'; macOS: 'brew install redis'; Alpine: 'apk add redis'),
or set OKOME_TEST_REDIS=host:port to a Redis you run, or start a Docker engine (Testcontainers is used then).
MSG
  exit 1
}

run_tests() {
  ensure_redis
  local log
  log=$(mktemp)
  set +e
  dotnet test Okome.sln -c "$configuration" --blame-hang-timeout 10m "$@" 2>&1 | tee "$log"
  local status=${PIPESTATUS[0]}
  set -e
  # One closing line for the whole suite, summed over the test assemblies.
  local passed failed skipped
  passed=$(grep -oP '(Passed!|Failed!) +- Failed: +\d+, Passed: +\K\d+' "$log" | awk '{ s += $1 } END { print s + 0 }')
  failed=$(grep -oP '(Passed!|Failed!) +- Failed: +\K\d+' "$log" | awk '{ s += $1 } END { print s + 0 }')
  skipped=$(grep -oP 'Skipped: +\K\d+' "$log" | awk '{ s += $1 } END { print s + 0 }')
  rm -f "$log"
  echo "${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
  if [ "$status" -ne 0 ]; then exit "$status"; fi
  if [ "${passed:-0}" -eq 0 ]; then echo "No test ran." >&2; exit 1; fi
}

# Source Link (the PDB's map from source paths to raw.githubusercontent.com URLs) comes from the origin remote: a checkout
# whose origin is not on GitHub packs without it. Packages to publish are packed by CI, from a GitHub clone.
warn_no_source_link() {
  case "$(git remote get-url origin 2>/dev/null || true)" in
    https://github.com/*|git@github.com:*) ;;
    *) echo "pack: no Source Link in these packages: the origin remote is not a GitHub URL (git remote add origin https://github.com/okome-dev/okome)" >&2 ;;
  esac
}

# Self-contained, so a Pi needs no .NET: copy the folder, run the executable (docs/benchmarks.md, "On ARM64").
publish_arm64() {
  rm -rf artifacts/arm64
  dotnet publish samples/Okome.Planner.Sample -c Release -r linux-arm64 --self-contained -o artifacts/arm64/sample "$@"
  dotnet publish benchmarks/Okome.Benchmarks -c Release -r linux-arm64 --self-contained -o artifacts/arm64/benchmarks "$@"
  cp benchmarks/ci/pi-run artifacts/arm64/
  echo "artifacts/arm64: sample/Okome.Planner.Sample, benchmarks/Okome.Benchmarks, pi-run"
}

case "${1:-test}" in
  test) shift || true; run_tests "$@" ;;
  pack) shift || true; warn_no_source_link; for p in src/Okome.*/; do dotnet pack "$p" -c "$configuration" -o artifacts/packages "$@"; done ;;
  bench) shift || true; [ "${1:-}" = "--" ] && shift; dotnet run -c Release --project benchmarks/Okome.Benchmarks -- "$@" ;;
  bench-ci) shift || true; benchmarks/ci/run "$@" ;;
  publish-arm64) shift || true; publish_arm64 "$@" ;;
  *) echo "usage: ./build.sh [test|pack|bench|bench-ci|publish-arm64] [arguments]" >&2; exit 2 ;;
esac
