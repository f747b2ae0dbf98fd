#!/usr/bin/env bash
# The reliability suite's long form (README "Reliability, measured").
#
#   server/src/test/reliability/run-long.sh [BODIES] [SEED]        the matrix, the fuzz at BODIES (20000), the
#                                                                  framing, timeout (slowloris) and drain tests
#   ATTACKS=1 server/src/test/reliability/run-long.sh ...          then the attack scripts against a real
#                                                                  ./offramp serve --port ${PORT:-18415} (kjv-ee-12l),
#                                                                  the soak for ${SOAK_MIN:-3} minutes
#
# CI runs the same tests at their short counts (2,000 fuzzed bodies) in ./run-tests.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)"
here="$root/server/src/test/reliability"
bodies="${1:-20000}"
seed="${2:-15}"
cd "$root"

tests='BadInputMatrixTest*,BodyFuzzTest*,BadInputTest*,HttpFramingTest*,TimeoutsTest*,EngineResilienceTest*,DrainTest*'
out="$(mktemp)"
status=0
mvn -o -B -ntp -q verify -pl server -am -Dtest="$tests" -Dsurefire.failIfNoSpecifiedTests=false \
  -Dofframp.fuzz.bodies="$bodies" -Dofframp.fuzz.seed="$seed" >"$out" 2>&1 || status=$?
grep -o 'fuzz: .*' "$out" || true
reports=server/target/surefire-reports
for t in BadInputMatrixTest BodyFuzzTest BadInputTest HttpFramingTest TimeoutsTest EngineResilienceTest DrainTest; do
  sed -n 's/.*<testsuite[^>]* name="dev.offramp.server.http.\([A-Za-z]*\)" time="\([0-9.]*\)" tests="\([0-9]*\)" errors="\([0-9]*\)" skipped="\([0-9]*\)" failures="\([0-9]*\)".*/\1: \3 tests, \6 failures, \4 errors (\2 s)/p' \
    "$reports/TEST-dev.offramp.server.http.$t.xml"
done

if [[ "${ATTACKS:-0}" == 1 ]]; then
  port="${PORT:-18415}"
  log="$(mktemp)"
  ./offramp serve --model models/kjv-ee-12l --port "$port" >"$log" 2>&1 &
  launcher=$!
  for _ in $(seq 1 120); do
    curl -sf "127.0.0.1:$port/ready" >/dev/null 2>&1 && break
    sleep 1
  done
  echo "--- nested_policy.py $port"; python3 "$here/nested_policy.py" "$port"
  echo "--- big_prompts.py $port 0.6"; python3 "$here/big_prompts.py" "$port" 0.6
  echo "--- disconnects.py $port 60"; python3 "$here/disconnects.py" "$port" 60
  echo "--- soak.py $port $launcher 8 ${SOAK_MIN:-3}"; python3 "$here/soak.py" "$port" "$launcher" 8 "${SOAK_MIN:-3}" 10
  echo "--- drain.py $port $launcher"; python3 "$here/drain.py" "$port" "$launcher"
  wait "$launcher" && echo "serve exited 0" || echo "serve exited $?"
  rm -f "$log"
fi
if [[ $status -ne 0 ]]; then
  grep -E 'ERROR|FAIL' "$out" | head -40
fi
rm -f "$out"
exit "$status"
