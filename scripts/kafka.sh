#!/usr/bin/env bash
# Real single-node Apache Kafka broker (KRaft, combined broker+controller)
# for machines without Docker. Jars come from Maven Central via
# scripts/kafka/pom.xml; all state lives under <repo>/.kafka (git-ignored).
#
# Usage:
#   scripts/kafka.sh up [--fresh]   start (or reuse) the broker; --fresh wipes its data first
#   scripts/kafka.sh down           stop the broker (SIGTERM, SIGKILL after 30 s)
#   scripts/kafka.sh status         exit 0 if the broker is running and answering
#
# Environment:
#   KAFKA_PORT             client (PLAINTEXT) port            default 9092
#   KAFKA_CONTROLLER_PORT  KRaft controller port              default 9093
#   KAFKA_SASL_PORT        SASL_PLAINTEXT (SCRAM) port         default 9094
#   KAFKA_SCRAM_USER       SCRAM user on that listener         default crypto
#   KAFKA_SCRAM_PASSWORD   its password (local use only)       default crypto-secret
#   KAFKA_HOME_DIR         state folder                       default <repo>/.kafka
#   KAFKA_START_TIMEOUT    seconds to wait for `up`           default 60
#   KAFKA_LOG_LEVEL        broker log level (slf4j-simple)    default info
#   KAFKA_HEAP_OPTS        JVM heap flags                     default -Xms256m -Xmx1g
#   JAVA_HOME              used if set, else `java` on PATH (Java 17+ required)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
POM="${SCRIPT_DIR}/kafka/pom.xml"

KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_SASL_PORT="${KAFKA_SASL_PORT:-9094}"
KAFKA_SCRAM_USER="${KAFKA_SCRAM_USER:-crypto}"
KAFKA_SCRAM_PASSWORD="${KAFKA_SCRAM_PASSWORD:-crypto-secret}"
KAFKA_HOME_DIR="${KAFKA_HOME_DIR:-${REPO_ROOT}/.kafka}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-60}"
KAFKA_LOG_LEVEL="${KAFKA_LOG_LEVEL:-info}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}"

HOST="127.0.0.1"
LIBS_DIR="${KAFKA_HOME_DIR}/libs"
DATA_DIR="${KAFKA_HOME_DIR}/data"
CONFIG_FILE="${KAFKA_HOME_DIR}/server.properties"
LOG_FILE="${KAFKA_HOME_DIR}/broker.log"
PID_FILE="${KAFKA_HOME_DIR}/kafka.pid"
LIBS_STAMP="${LIBS_DIR}/.complete"
CLASSPATH_GLOB="${LIBS_DIR}/*"

if [[ -n "${JAVA_HOME:-}" && -x "${JAVA_HOME}/bin/java" ]]; then
  JAVA="${JAVA_HOME}/bin/java"
else
  JAVA="java"
fi

log() { printf '%s\n' "$*"; }
err() { printf 'kafka.sh: %s\n' "$*" >&2; }
die() {
  err "$*"
  exit 1
}

usage() {
  cat <<EOF
Usage: $(basename "$0") <command>

Commands:
  up [--fresh]   Start a single-node Kafka broker on ${HOST}:${KAFKA_PORT}
                 (--fresh: stop it if running and wipe its data first)
  down           Stop the broker
  status         Exit 0 if the broker is running and answering, else 1

State folder: ${KAFKA_HOME_DIR}
EOF
}

# --- helpers -----------------------------------------------------------------

is_port() { [[ "$1" =~ ^[0-9]+$ ]] && ((10#$1 > 0 && 10#$1 < 65536)); }

# Fingerprint of the pom. After a successful fetch the stamp file records it
# plus the number of jars; the jar folder is "complete" while both still match.
pom_fingerprint() { cksum <"${POM}" | tr -s ' ' | cut -d' ' -f1,2; }

jar_count() {
  local -a jars=()
  shopt -s nullglob
  jars=("${LIBS_DIR}"/*.jar)
  shopt -u nullglob
  printf '%s\n' "${#jars[@]}"
}

libs_complete() {
  [[ -f "${LIBS_STAMP}" ]] || return 1
  [[ "$(cat "${LIBS_STAMP}")" == "$(pom_fingerprint) $(jar_count)" ]] || return 1
  compgen -G "${LIBS_DIR}/kafka_2.13-*.jar" >/dev/null || return 1
  compgen -G "${LIBS_DIR}/kafka-tools-[0-9]*.jar" >/dev/null || return 1
}

fetch_libs() {
  if libs_complete; then
    return 0
  fi
  command -v mvn >/dev/null 2>&1 || die "Maven (mvn) is required to download the Kafka jars; install it or put the jars in ${LIBS_DIR}"
  log "Fetching Kafka jars from Maven Central into ${LIBS_DIR} ..."
  mkdir -p "${KAFKA_HOME_DIR}"
  local tmp="${LIBS_DIR}.tmp.$$"
  rm -rf "${tmp}"
  local out
  # Maven's output (even with -q, a few ANSI reset codes) is only shown on failure.
  if ! out="$(mvn -q -B -Dstyle.color=never -f "${POM}" dependency:copy-dependencies \
    -DoutputDirectory="${tmp}" -DincludeScope=runtime 2>&1)"; then
    printf '%s\n' "${out}" >&2
    rm -rf "${tmp}"
    die "Maven could not fetch the Kafka jars (see the output above)"
  fi
  rm -rf "${LIBS_DIR}"
  mv "${tmp}" "${LIBS_DIR}"
  printf '%s %s\n' "$(pom_fingerprint)" "$(jar_count)" >"${LIBS_STAMP}"
}

kafka_version() {
  local jar
  for jar in "${LIBS_DIR}"/kafka_2.13-*.jar; do
    jar="$(basename "${jar}" .jar)"
    printf '%s\n' "${jar#kafka_2.13-}"
    return 0
  done
  printf 'unknown\n'
}

check_java() {
  command -v "${JAVA}" >/dev/null 2>&1 || die "Java 17+ is required (no '${JAVA}' found; set JAVA_HOME or add java to PATH)"
  local spec
  spec="$("${JAVA}" -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java\.specification\.version = //p' | head -n1)"
  if [[ "${spec}" =~ ^[0-9]+$ ]] && ((spec < 17)); then
    die "Java 17+ is required by Kafka 4.x, found Java ${spec} (${JAVA})"
  fi
}

read_pid() {
  [[ -f "${PID_FILE}" ]] || return 1
  local pid
  pid="$(tr -cd '0-9' <"${PID_FILE}")"
  [[ -n "${pid}" ]] || return 1
  printf '%s\n' "${pid}"
}

# True if $1 is a live kafka.Kafka process started with our server.properties
# (guards against a stale pid file whose pid was reused).
is_our_broker() {
  local pid="$1" args
  kill -0 "${pid}" 2>/dev/null || return 1
  args="$(ps -ww -p "${pid}" -o args= 2>/dev/null)" || return 1
  [[ "${args}" == *kafka.Kafka* && "${args}" == *"${CONFIG_FILE}"* ]]
}

running_pid() {
  local pid
  pid="$(read_pid)" || return 1
  is_our_broker "${pid}" || return 1
  printf '%s\n' "${pid}"
}

tcp_open() {
  (exec 3<>"/dev/tcp/${HOST}/$1") 2>/dev/null
}

# Kafka-protocol readiness probe without starting a JVM: send an ApiVersions
# v0 request (correlation id 0x4b41, client id "kafka.sh") and expect a
# response carrying that correlation id and error code 0. A broker only
# answers once it has finished starting up (request processing enabled).
kafka_answers() {
  local port="$1" hex
  if ! command -v timeout >/dev/null 2>&1; then
    tcp_open "${port}"
    return
  fi
  # shellcheck disable=SC2016 # $1/$2 are expanded by the inner bash
  hex="$(timeout 5 bash -c '
    exec 3<>"/dev/tcp/$1/$2" || exit 1
    printf "\x00\x00\x00\x12\x00\x12\x00\x00\x00\x00\x4b\x41\x00\x08kafka.sh" >&3
    head -c 10 <&3 | od -An -tx1 | tr -d " \n"
  ' _ "${HOST}" "${port}" 2>/dev/null)" || return 1
  [[ "${hex:8:12}" == "00004b410000" ]]
}

write_config() {
  cat >"${CONFIG_FILE}" <<EOF
# Generated by scripts/kafka.sh -- rewritten on every 'up', do not edit.
# Single node, KRaft combined mode (broker + controller), static quorum.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@${HOST}:${KAFKA_CONTROLLER_PORT}

listeners=PLAINTEXT://${HOST}:${KAFKA_PORT},CONTROLLER://${HOST}:${KAFKA_CONTROLLER_PORT},SASL_PLAINTEXT://${HOST}:${KAFKA_SASL_PORT}
advertised.listeners=PLAINTEXT://${HOST}:${KAFKA_PORT},SASL_PLAINTEXT://${HOST}:${KAFKA_SASL_PORT}
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT
# The SASL listener authenticates with SCRAM (users are kept in the cluster metadata).
sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT

log.dirs=${DATA_DIR}

# Single broker: every internal topic with replication factor 1.
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
# A small offsets topic: the first consumer group on a fresh broker is ready in moments.
offsets.topic.num.partitions=3
transaction.state.log.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1

# Fast consumer-group joins for local development.
group.initial.rebalance.delay.ms=0

# The application creates its own topics.
auto.create.topics.enable=false
EOF
}

# Base64url of 16 random bytes, no padding: the format of a Kafka cluster id.
# Like Kafka's own Uuid.randomUuid(), never one starting with "-": the
# StorageTool would read it as an option.
new_cluster_id() {
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    [[ "${id}" == -* ]] || break
  done
  printf '%s\n' "${id}"
}

format_storage() {
  if [[ -f "${DATA_DIR}/meta.properties" ]]; then
    return 0
  fi
  mkdir -p "${DATA_DIR}"
  local out
  # With a static controller.quorum.voters the 4.x StorageTool must NOT get
  # --standalone (that flag is for dynamic quorums).
  if ! out="$("${JAVA}" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    -cp "${CLASSPATH_GLOB}" kafka.tools.StorageTool format \
    -t "$(new_cluster_id)" -c "${CONFIG_FILE}" \
    --add-scram "SCRAM-SHA-256=[name=${KAFKA_SCRAM_USER},password=${KAFKA_SCRAM_PASSWORD}]" \
    --add-scram "SCRAM-SHA-512=[name=${KAFKA_SCRAM_USER},password=${KAFKA_SCRAM_PASSWORD}]" \
    2>&1)"; then
    printf '%s\n' "${out}" >&2
    die "formatting ${DATA_DIR} failed"
  fi
  touch "${DATA_DIR}/.scram-${KAFKA_SCRAM_USER}"
}

# --- commands ----------------------------------------------------------------

cmd_down() {
  local pid
  if ! pid="$(read_pid)"; then
    log "Kafka is not running (no pid file in ${KAFKA_HOME_DIR})"
    if tcp_open "${KAFKA_PORT}"; then
      err "note: something else is listening on ${HOST}:${KAFKA_PORT} (not started by this script)"
    fi
    return 0
  fi
  if ! is_our_broker "${pid}"; then
    rm -f "${PID_FILE}"
    log "Kafka is not running (removed stale pid file, pid ${pid})"
    return 0
  fi
  kill -TERM "${pid}" 2>/dev/null || true
  local waited=0
  while kill -0 "${pid}" 2>/dev/null; do
    if ((waited >= 300)); then
      err "broker (pid ${pid}) did not exit within 30 s; sending SIGKILL"
      kill -KILL "${pid}" 2>/dev/null || true
      local n
      for ((n = 0; n < 50; n++)); do
        kill -0 "${pid}" 2>/dev/null || break
        sleep 0.1
      done
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  rm -f "${PID_FILE}"
  log "Kafka stopped"
}

cmd_status() {
  local pid
  if ! pid="$(running_pid)"; then
    log "Kafka is down (no broker process for ${KAFKA_HOME_DIR})"
    return 1
  fi
  if ! kafka_answers "${KAFKA_PORT}"; then
    log "Kafka process is running (pid ${pid}) but ${HOST}:${KAFKA_PORT} is not answering yet"
    return 1
  fi
  log "Kafka $(kafka_version) is up on ${HOST}:${KAFKA_PORT} (pid ${pid})"
}

cmd_up() {
  local fresh=0 arg
  for arg in "$@"; do
    case "${arg}" in
      --fresh) fresh=1 ;;
      *) die "unknown option for up: ${arg}" ;;
    esac
  done
  is_port "${KAFKA_PORT}" || die "KAFKA_PORT must be a port number, got '${KAFKA_PORT}'"
  is_port "${KAFKA_CONTROLLER_PORT}" || die "KAFKA_CONTROLLER_PORT must be a port number, got '${KAFKA_CONTROLLER_PORT}'"
  is_port "${KAFKA_SASL_PORT}" || die "KAFKA_SASL_PORT must be a port number, got '${KAFKA_SASL_PORT}'"
  [[ "${KAFKA_PORT}" != "${KAFKA_CONTROLLER_PORT}" ]] || die "KAFKA_PORT and KAFKA_CONTROLLER_PORT must differ"
  [[ "${KAFKA_SASL_PORT}" != "${KAFKA_PORT}" && "${KAFKA_SASL_PORT}" != "${KAFKA_CONTROLLER_PORT}" ]] ||
    die "KAFKA_SASL_PORT must differ from KAFKA_PORT and KAFKA_CONTROLLER_PORT"

  local pid
  if ((fresh)); then
    if running_pid >/dev/null; then
      cmd_down
    fi
    log "Wiping ${DATA_DIR}"
    rm -rf "${DATA_DIR}"
  elif pid="$(running_pid)"; then
    if kafka_answers "${KAFKA_PORT}"; then
      log "Kafka $(kafka_version) is already running on ${HOST}:${KAFKA_PORT} (pid ${pid})"
      return 0
    fi
    log "Kafka is already starting (pid ${pid}); waiting for it"
    wait_until_ready "${pid}"
    return
  fi
  rm -f "${PID_FILE}"

  local port
  for port in "${KAFKA_PORT}" "${KAFKA_CONTROLLER_PORT}" "${KAFKA_SASL_PORT}"; do
    if tcp_open "${port}"; then
      die "port ${HOST}:${port} is already in use by another process (set KAFKA_PORT / KAFKA_CONTROLLER_PORT, or stop it)"
    fi
  done

  check_java
  fetch_libs
  mkdir -p "${DATA_DIR}"
  write_config
  format_storage

  if [[ -f "${LOG_FILE}" ]]; then
    mv -f "${LOG_FILE}" "${LOG_FILE}.prev"
  fi
  local -a heap_opts
  read -r -a heap_opts <<<"${KAFKA_HEAP_OPTS}"
  (
    cd "${KAFKA_HOME_DIR}"
    nohup "${JAVA}" "${heap_opts[@]}" \
      -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
      -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
      -Dorg.slf4j.simpleLogger.defaultLogLevel="${KAFKA_LOG_LEVEL}" \
      -Dorg.slf4j.simpleLogger.showDateTime=true \
      "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd HH:mm:ss,SSS" \
      -Dorg.slf4j.simpleLogger.showThreadName=false \
      -Dorg.slf4j.simpleLogger.log.org.apache.kafka.common.config.AbstractConfig=warn \
      -cp "${CLASSPATH_GLOB}" kafka.Kafka "${CONFIG_FILE}" \
      >"${LOG_FILE}" 2>&1 </dev/null &
    printf '%s\n' "$!" >"${PID_FILE}"
  )
  pid="$(read_pid)" || die "could not record the broker pid"
  wait_until_ready "${pid}"
}

# Storage formatted before the SASL listener existed has no SCRAM user: add it once.
ensure_scram_user() {
  local marker="${DATA_DIR}/.scram-${KAFKA_SCRAM_USER}" mechanism
  [[ -f "${marker}" ]] && return 0
  for mechanism in SCRAM-SHA-256 SCRAM-SHA-512; do
    if ! "${JAVA}" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "${CLASSPATH_GLOB}" \
      org.apache.kafka.tools.ConfigCommand --bootstrap-server "${HOST}:${KAFKA_PORT}" --alter \
      --add-config "${mechanism}=[password=${KAFKA_SCRAM_PASSWORD}]" \
      --entity-type users --entity-name "${KAFKA_SCRAM_USER}" >/dev/null 2>&1; then
      err "could not add the ${mechanism} user ${KAFKA_SCRAM_USER}; the SASL listener will refuse it"
      return 0
    fi
  done
  touch "${marker}"
}

wait_until_ready() {
  local pid="$1" start=${SECONDS}
  while ((SECONDS - start < KAFKA_START_TIMEOUT)); do
    if ! kill -0 "${pid}" 2>/dev/null; then
      rm -f "${PID_FILE}"
      fail_start "the broker process (pid ${pid}) exited during startup"
    fi
    if kafka_answers "${KAFKA_PORT}"; then
      ensure_scram_user
      log "Kafka $(kafka_version) is up on ${HOST}:${KAFKA_PORT} (SASL/SCRAM on ${HOST}:${KAFKA_SASL_PORT}, user ${KAFKA_SCRAM_USER})"
      return 0
    fi
    sleep 0.25
  done
  fail_start "the broker did not answer on ${HOST}:${KAFKA_PORT} within ${KAFKA_START_TIMEOUT} s (pid ${pid} left running; stop it with: $0 down)"
}

fail_start() {
  err "$1"
  if [[ -f "${LOG_FILE}" ]]; then
    err "---- last 30 lines of ${LOG_FILE} ----"
    tail -n 30 "${LOG_FILE}" >&2
  fi
  exit 1
}

main() {
  local cmd="${1:-}"
  if (($# > 0)); then shift; fi
  case "${cmd}" in
    up) cmd_up "$@" ;;
    down) cmd_down ;;
    status) cmd_status ;;
    -h | --help | help) usage ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
}

main "$@"
