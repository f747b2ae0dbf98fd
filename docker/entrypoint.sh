#!/bin/sh
# Offramp's container entry point: maps OFFRAMP_* environment variables onto `serve`'s command-line options, then
# execs the JVM with the server's classpath (server/target/classes + server/target/lib/*: ./offramp's, less the benchmarks).
#
#   entrypoint.sh                        serve, configured by the environment
#   entrypoint.sh [serve] --opt value …  serve; these options come after the mapped ones, so they win
#   entrypoint.sh generate|layers …      another subcommand, run as given (only the JVM settings below apply)
#
# Options (an unset or empty variable passes nothing, and the CLI's default applies):
#   OFFRAMP_MODEL --model   OFFRAMP_TOKENIZER --tokenizer   OFFRAMP_HOST --host (default here 0.0.0.0: a
#   container must listen beyond its loopback)   OFFRAMP_PORT --port   OFFRAMP_MAX_RUNNING --max-running
#   OFFRAMP_MAX_WAITING --max-waiting   OFFRAMP_BUDGET_MIN_LAYER --budget-min-layer
#   OFFRAMP_STALL_TIMEOUT_S --stall-timeout-s   OFFRAMP_DRAIN_TIMEOUT_S --drain-timeout-s
#   OFFRAMP_MAX_QUEUE_WAIT_MS --max-queue-wait-ms   OFFRAMP_HEADER_TIMEOUT_S --header-timeout-s
#   OFFRAMP_BODY_TIMEOUT_S --body-timeout-s   OFFRAMP_IDLE_TIMEOUT_S --idle-timeout-s
#   OFFRAMP_WRITE_TIMEOUT_S --write-timeout-s   OFFRAMP_API_KEY_FILE --api-key-file
#   OFFRAMP_API_KEY_ROUTES --api-key-routes   (OFFRAMP_API_KEY is read by the server itself and never passed as
#   --api-key: an argument is visible to every user of the machine; a Kubernetes Secret sets it, see k8s/)
#   OFFRAMP_MAX_BODY_BYTES --max-body-bytes
#   OFFRAMP_DEVICE --device   OFFRAMP_THREADS --threads   OFFRAMP_KERNELS --kernels
#   OFFRAMP_EXIT_ADAPTERS --exit-adapters   OFFRAMP_NO_EXIT_ADAPTERS --no-exit-adapters (true or false)
#   OFFRAMP_PLUGINS --plugins (a directory of plug-in policy jars; serve reads the variable itself too)
#   The default decoding mode for requests without an early_exit object, and the served cascade:
#   OFFRAMP_PROFILE --profile   OFFRAMP_MODE --mode   OFFRAMP_POLICY --policy   OFFRAMP_EXIT_LAYER --exit-layer
#   OFFRAMP_KV --kv   OFFRAMP_PRUNE --prune   OFFRAMP_SPEEDUP --speedup   OFFRAMP_DRAFT --draft
#   OFFRAMP_DRAFT_STOP --draft-stop   OFFRAMP_CASCADE_SMALL_LAYERS --cascade-small-layers
#   OFFRAMP_CASCADE_RULE --cascade-rule   OFFRAMP_CASCADE_THRESHOLD --cascade-threshold
#   OFFRAMP_CASCADE_MEMBERS --cascade-members   OFFRAMP_CASCADE_REMOTE_TIMEOUT_S --cascade-remote-timeout-s
# JVM and paths:
#   OFFRAMP_HEAP (default 1g): a fixed, pre-touched heap, -Xms = -Xmx and -XX:+AlwaysPreTouch (ARCHITECTURE.md's measured
#     flags); OFFRAMP_JAVA_OPTS replaces those flags entirely, as it does for ./offramp.
#   OFFRAMP_DJL_OFFLINE (default true): -Dai.djl.offline, so DJL downloads nothing at run time.
#   OFFRAMP_HOME (default /opt/offramp): holds server/target/classes, server/target/lib and models/.
#   OFFRAMP_DRY_RUN=1 prints the command, one argument per line, instead of running it.
set -eu

fail() {
  echo "entrypoint: $*" >&2
  exit 2
}

home="${OFFRAMP_HOME:-/opt/offramp}"
heap="${OFFRAMP_HEAP:-1g}"
case "$heap" in
  [1-9]*[!0-9kKmMgG]* | *[kKmMgG]?* | [!1-9]*) fail "OFFRAMP_HEAP: expected a size such as 512m or 2g, found '$heap'" ;;
esac
offline="${OFFRAMP_DJL_OFFLINE:-true}"
case "$offline" in
  true | false) ;;
  *) fail "OFFRAMP_DJL_OFFLINE: expected true or false, found '$offline'" ;;
esac

# The subcommand: serve, unless the first argument names another one.
command=serve
case "${1:-}" in
  serve) shift ;;
  -* | "") ;;
  *) command="$1"; shift ;;
esac

# POSIX sh has one array, "$@". It holds the caller's arguments; the command is appended after them, then the
# caller's arguments are rotated to the end: java … Main COMMAND MAPPED-OPTIONS CALLER-ARGUMENTS.
given=$#
set -- "$@" java
if [ -n "${OFFRAMP_JAVA_OPTS:-}" ]; then
  set -f  # split the flags on blanks, as ./offramp does, without expanding globs
  # shellcheck disable=SC2086
  set -- "$@" $OFFRAMP_JAVA_OPTS
  set +f
else
  set -- "$@" "-Xms$heap" "-Xmx$heap" -XX:+AlwaysPreTouch
fi
set -- "$@" --add-modules jdk.incubator.vector "-Dai.djl.offline=$offline" "-Dofframp.home=$home" \
  -cp "$home/server/target/classes:$home/server/target/lib/*" dev.offramp.server.Main "$command"

option() {  # option VARIABLE --flag [DEFAULT]: prints the flag and value, one per line, when there is a value
  eval "value=\${$1:-${3:-}}"
  if [ -n "$value" ]; then
    case "$value" in *"
"*) fail "$1: expected one line, found a line break" ;; esac
    printf '%s\n%s\n' "$2" "$value"
  fi
}
if [ "$command" = serve ]; then
  mapped="$(
    option OFFRAMP_MODEL --model
    option OFFRAMP_TOKENIZER --tokenizer
    option OFFRAMP_HOST --host 0.0.0.0
    option OFFRAMP_PORT --port
    option OFFRAMP_MAX_RUNNING --max-running
    option OFFRAMP_MAX_WAITING --max-waiting
    option OFFRAMP_BUDGET_MIN_LAYER --budget-min-layer
    option OFFRAMP_STALL_TIMEOUT_S --stall-timeout-s
    option OFFRAMP_DRAIN_TIMEOUT_S --drain-timeout-s
    option OFFRAMP_MAX_QUEUE_WAIT_MS --max-queue-wait-ms
    option OFFRAMP_HEADER_TIMEOUT_S --header-timeout-s
    option OFFRAMP_BODY_TIMEOUT_S --body-timeout-s
    option OFFRAMP_IDLE_TIMEOUT_S --idle-timeout-s
    option OFFRAMP_WRITE_TIMEOUT_S --write-timeout-s
    option OFFRAMP_API_KEY_FILE --api-key-file
    option OFFRAMP_API_KEY_ROUTES --api-key-routes
    option OFFRAMP_MAX_BODY_BYTES --max-body-bytes
    option OFFRAMP_DEVICE --device
    option OFFRAMP_THREADS --threads
    option OFFRAMP_KERNELS --kernels
    option OFFRAMP_EXIT_ADAPTERS --exit-adapters
    option OFFRAMP_NO_EXIT_ADAPTERS --no-exit-adapters
    option OFFRAMP_PLUGINS --plugins
    option OFFRAMP_PROFILE --profile
    option OFFRAMP_MODE --mode
    option OFFRAMP_POLICY --policy
    option OFFRAMP_EXIT_LAYER --exit-layer
    option OFFRAMP_KV --kv
    option OFFRAMP_PRUNE --prune
    option OFFRAMP_SPEEDUP --speedup
    option OFFRAMP_DRAFT --draft
    option OFFRAMP_DRAFT_STOP --draft-stop
    option OFFRAMP_CASCADE_SMALL_LAYERS --cascade-small-layers
    option OFFRAMP_CASCADE_RULE --cascade-rule
    option OFFRAMP_CASCADE_THRESHOLD --cascade-threshold
    option OFFRAMP_CASCADE_MEMBERS --cascade-members
    option OFFRAMP_CASCADE_REMOTE_TIMEOUT_S --cascade-remote-timeout-s
  )" || exit 2
  old_ifs=$IFS
  IFS='
'
  set -f
  # shellcheck disable=SC2086 # one word per line: values keep their blanks
  set -- "$@" $mapped
  set +f
  IFS=$old_ifs
fi

i=0
while [ "$i" -lt "$given" ]; do
  set -- "$@" "$1"
  shift
  i=$((i + 1))
done

if [ "${OFFRAMP_DRY_RUN:-}" = 1 ]; then
  printf '%s\n' "$@"
  exit 0
fi
exec "$@"
