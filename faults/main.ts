/**
 * `deno task faults [--brokers host:port] [--only 1a,1b,2,...,14] [--outage seconds]`: the fault
 * suite. Runs each scenario against a real broker it may kill (one started by
 * `scripts/kafka.sh` with its own `KAFKA_HOME_DIR`) and the CoinGecko stand-in, and writes
 * docs/RELIABILITY.md. Exits 1 when any scenario fails.
 *
 * Its ports stay below Linux's ephemeral range (32768–60999): while the broker is down, a client
 * socket could otherwise take one of them and the restart would fail to bind.
 *
 * Start its broker first:
 * `KAFKA_HOME_DIR=/tmp/faults-kafka KAFKA_PORT=28092 KAFKA_CONTROLLER_PORT=28093 KAFKA_SASL_PORT=28094 bash scripts/kafka.sh up`
 *
 * @module
 */
import { parseArgs } from "node:util";
import { CoinGeckoStub } from "../tests/support/coingecko_stub.ts";
import { FaultBroker } from "./broker.ts";
import { apiFaults } from "./api_faults.ts";
import { poison } from "./poison.ts";
import { badConfig } from "./bad_config.ts";
import { actorCrash } from "./actor_crash.ts";
import { shutdown } from "./shutdown.ts";
import { authentication } from "./authentication.ts";
import { soak } from "./soak.ts";
import { consumerCrash } from "./consumer_crash.ts";
import { consumerOutage } from "./consumer_outage.ts";
import { producerOutage } from "./producer_outage.ts";
import { redisOutage, storeOutage } from "./store_outage.ts";
import { tradeFeed } from "./trade_feed.ts";
import { restFaults } from "./rest_faults.ts";
import { passed, renderReport, type Row } from "./report.ts";
import type { Scenario, ScenarioContext } from "./scenario.ts";

const USAGE =
  `Usage: deno task faults [--brokers host:port] [--only 1a,1b,2,...,14] [--outage seconds]

Kills and restarts the broker at --brokers (default: KAFKA_BOOTSTRAP_SERVERS, else 127.0.0.1:28092),
which must have been started by scripts/kafka.sh with KAFKA_HOME_DIR (default /tmp/faults-kafka),
KAFKA_CONTROLLER_PORT (default port+1) and KAFKA_SASL_PORT (default port+2):

  KAFKA_HOME_DIR=/tmp/faults-kafka KAFKA_PORT=28092 KAFKA_CONTROLLER_PORT=28093 \\
    KAFKA_SASL_PORT=28094 bash scripts/kafka.sh up

Writes docs/RELIABILITY.md; exits 1 if any scenario fails.`;

const REPORT = "docs/RELIABILITY.md";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    brokers: { type: "string" },
    only: { type: "string" },
    outage: { type: "string", default: "25" },
    help: { type: "boolean", short: "h" },
  },
});
if (flags.help) {
  console.log(USAGE);
  Deno.exit(0);
}

const brokers = flags.brokers ?? Deno.env.get("KAFKA_BOOTSTRAP_SERVERS") ?? "127.0.0.1:28092";
const port = Number(brokers.split(",")[0]!.split(":")[1]);
const outageSeconds = Number(flags.outage);
if (!Number.isInteger(port) || !(outageSeconds > 0)) {
  console.error(`error: bad --brokers (${brokers}) or --outage (${flags.outage})\n\n${USAGE}`);
  Deno.exit(2);
}
const home = Deno.env.get("KAFKA_HOME_DIR") ?? "/tmp/faults-kafka";
const broker = new FaultBroker({
  brokers,
  home,
  controllerPort: Number(Deno.env.get("KAFKA_CONTROLLER_PORT") ?? port + 1),
  saslPort: Number(Deno.env.get("KAFKA_SASL_PORT") ?? port + 2),
});

const listens = (() => {
  try {
    return Deno.readTextFileSync(`${home}/server.properties`).includes(
      `PLAINTEXT://127.0.0.1:${port},`,
    );
  } catch {
    return false;
  }
})();
if (!(await broker.reachable()) || (await broker.pid()) === null || !listens) {
  console.error(
    `error: no broker of scripts/kafka.sh at ${brokers} with KAFKA_HOME_DIR=${home} (the suite kills and restarts it, so it needs its pid file). Start one:\n\n  KAFKA_HOME_DIR=${home} KAFKA_PORT=${port} KAFKA_CONTROLLER_PORT=${
      port + 1
    } KAFKA_SASL_PORT=${port + 2} bash scripts/kafka.sh up`,
  );
  Deno.exit(1);
}

const all: Scenario[] = [
  producerOutage({ id: "1a", bufferSize: null }),
  producerOutage({ id: "1b", bufferSize: 5 }),
  consumerOutage,
  consumerCrash,
  apiFaults,
  poison,
  badConfig,
  actorCrash,
  shutdown,
  authentication,
  soak,
  storeOutage,
  redisOutage,
  tradeFeed,
  restFaults,
];
const only = flags.only ? new Set(flags.only.split(",").map((s) => s.trim())) : null;
const scenarios = all.filter((s) => only === null || only.has(s.id));

const kafkaVersion = (() => {
  try {
    for (const entry of Deno.readDirSync(`${home}/libs`)) {
      const match = /^kafka-clients-(.+)\.jar$/.exec(entry.name);
      if (match) return `Kafka ${match[1]}`;
    }
  } catch {
    // no jars folder
  }
  return "Kafka";
})();

const stub = await CoinGeckoStub.start();
const log = (line: string) => console.log(line);
const ctx: ScenarioContext = {
  broker,
  coingeckoUrl: stub.url,
  requests: () => stub.requests.length,
  outageMs: outageSeconds * 1000,
  log,
  saslBrokers: `127.0.0.1:${Deno.env.get("KAFKA_SASL_PORT") ?? port + 2}`,
  quick: false,
};
const startedAt = new Date();
const rows: Row[] = [];
try {
  for (const scenario of scenarios) {
    log(`Scenario ${scenario.id} ...`);
    const began = Date.now();
    let row: Row;
    try {
      const result = await scenario.run(ctx);
      row = { id: scenario.id, result, error: null, seconds: (Date.now() - began) / 1000 };
    } catch (error) {
      const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
      row = { id: scenario.id, result: null, error: text, seconds: (Date.now() - began) / 1000 };
    }
    rows.push(row);
    log(`Scenario ${scenario.id}: ${passed(row) ? "PASS" : "FAIL"} (${Math.round(row.seconds)} s)`);
    for (const c of row.result?.checks ?? []) {
      if (!c.ok) log(`  FAILED: ${c.what}: ${c.detail}`);
    }
    if (row.error) log(`  ${row.error}`);
    // A scenario that failed mid-outage must not leave the next one without a broker.
    if (!(await broker.reachable())) await broker.up();
  }
} finally {
  await stub.close();
}

const seconds = (Date.now() - startedAt.getTime()) / 1000;
await Deno.writeTextFile(
  REPORT,
  renderReport(rows, { startedAt, seconds, brokers, kafka: kafkaVersion }),
);
// Formatted as `deno task check` expects it.
await new Deno.Command("deno", { args: ["fmt", "-q", REPORT], stdout: "null", stderr: "inherit" })
  .output();
log(`Wrote ${REPORT} (${Math.round(seconds)} s)`);
Deno.exit(rows.every(passed) ? 0 : 1);
