import assert from "node:assert/strict";
import { alertPublisher } from "../../actors/alert_publisher.ts";
import { alerter } from "../../actors/alerter.ts";
import { DeadLetterQueue } from "../../actors/dead_letters.ts";
import { DeadLetterReport } from "../../report/dead_letter_report.ts";
import { noInbox, noOutbox } from "../../runtime/actor.ts";
import { Nudge } from "../../actors/candle_publisher.ts";
import { candleChildren } from "../../actors/candle_topology.ts";
import { PRICE_HEADERS, type PriceMessage } from "../../market/messages/price_message.ts";
import type { CandleConfig } from "../../config/types.ts";
import { MemoryLog } from "../../kafka/memory_log.ts";
import { partitionFor } from "../../kafka/partitioner.ts";
import type { OutRecord, ProducerTransport } from "../../kafka/transport.ts";
import type { Alert } from "../../market/alert.ts";
import type { Candle } from "../../market/candle.ts";
import { ALERT_HEADERS, alertJson } from "../../market/messages/alert_message.ts";
import { formatAlert } from "../../report/alert_format.ts";
import { AlertReport } from "../../report/alert_report.ts";
import { DEFAULT_ALERT_RULES } from "../../market/alert_rules.ts";
import { systemClock } from "../../runtime/delay.ts";
import { Supervisor } from "../../runtime/supervisor.ts";
import { alertOutputs } from "../../actors/candle_outputs.ts";
import { type LiveEvent, LiveHub } from "../../http/live_hub.ts";
import { alertKey, assertSameAlerts, referenceAlerts } from "../support/alert_reference.ts";
import { MemoryStore } from "../support/memory_store.ts";
import { plantedMarket } from "../support/prices.ts";
import { waitFor } from "../support/wait.ts";

const START = Date.UTC(2025, 10, 12, 10, 0) / 1000;

const config: CandleConfig = {
  intervals: ["1m", "5m"],
  store: "memory",
  redis: null,
  outOfOrdernessMs: 10_000,
  allowedLatenessMs: 60_000,
  idleTimeoutMs: 3_600_000,
  storeTimeoutMs: 1_000,
  topic: "crypto-candles",
  maxAheadMs: 300_000,
  dlqTopic: "crypto-dlq",
};

/**
 * BTC jumps +7 % in its warm-up (minute 10) and +6 % at minute 50; ETH drops 2 % in its warm-up
 * (minute 20) and at minute 55.
 */
function prices(): PriceMessage[] {
  return plantedMarket({
    seed: 3,
    symbols: ["BTC", "ETH"],
    start: START,
    minutes: 70,
    jumps: [
      { symbol: "BTC", minute: 10, pct: 7 },
      { symbol: "BTC", minute: 50, pct: 6 },
      { symbol: "ETH", minute: 20, pct: -2 },
      { symbol: "ETH", minute: 55, pct: -2 },
    ],
  });
}

function record(price: PriceMessage): OutRecord {
  return {
    key: price.symbol,
    value: JSON.stringify(price),
    headers: { ...PRICE_HEADERS },
    partition: partitionFor(price.symbol, 3),
  };
}

function newLog(messages: readonly PriceMessage[]): MemoryLog {
  const log = new MemoryLog();
  for (const topic of ["crypto-prices", "crypto-candles", "crypto-alerts", "crypto-dlq"]) {
    log.ensureTopic({ topic, partitions: 3, replicationFactor: 1 });
  }
  log.append("crypto-prices", messages.map(record));
  return log;
}

/** Runs the candle topology with the Alerter until `group` has committed the whole price topic. */
async function runWithAlerts(log: MemoryLog, store: MemoryStore, group = "crypto-candles") {
  const printed: string[] = [];
  const told: Alert[] = [];
  const candles = candleChildren({
    config,
    sources: [{ topic: "crypto-prices", transport: log.consumer(group) }],
    fromBeginning: true,
    store,
    candleTopic: { transport: log.producer(), topic: "crypto-candles", partitions: 3 },
    deadLetterTopic: { transport: log.producer(), topic: "crypto-dlq", partitions: 3 },
    print: null,
    format: "line",
    clock: systemClock,
    commitIntervalMs: 50,
    alerts: {
      rules: DEFAULT_ALERT_RULES,
      topic: { transport: log.producer(), topic: "crypto-alerts", partitions: 3 },
      onAlert: (alert) => {
        told.push(alert);
        printed.push(formatAlert(alert));
      },
    },
  });
  const supervisor = new Supervisor(candles.children);
  const running = supervisor.run();
  // Until the group has committed the whole topic (a run with nothing new to read at once).
  await waitFor(() => log.lag(group, "crypto-prices").every((p) => p.lag === 0), {
    message: `${group} to commit crypto-prices`,
    timeoutMs: 60_000,
  });
  await supervisor.stop();
  await running;
  return { printed, told, report: candles.alertReport! };
}

/** Every record on the alert topic. */
async function alertTopic(log: MemoryLog) {
  const end = log.lag("check", "crypto-alerts").reduce((n, p) => n + Number(p.end), 0);
  const records: {
    key: string;
    headers: Record<string, string>;
    value: Record<string, unknown>;
  }[] = [];
  if (end === 0) return records;
  const consumer = log.consumer("check");
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  await consumer.consume({
    topic: "crypto-alerts",
    fromBeginning: true,
    handle: (r) => {
      records.push({ key: r.key!, headers: r.headers, value: JSON.parse(r.value!) });
      if (records.length === end) done();
      return Promise.resolve();
    },
  });
  await finished;
  await consumer.stop();
  return records;
}

const planted = (alerts: readonly Alert[]) =>
  alerts.map((a) => {
    const at = new Date(a.windowStart).toISOString().slice(11, 16);
    return `${a.symbol} ${a.interval} ${at} ${a.kind} ${a.direction}`;
  }).sort();

const EXPECTED = [
  "BTC 1m 10:10 move up", // in warm-up: a move, no anomaly
  "BTC 1m 10:50 anomaly up",
  "BTC 1m 10:50 move up",
  "BTC 5m 10:10 move up",
  "BTC 5m 10:50 move up",
  "ETH 1m 10:55 anomaly down", // its drop at 10:20 was in warm-up
];

Deno.test("The candle topology's Alerter raises the planted jumps' alerts once each, as an independent computation does: stored, told, printed and on the alert topic", async () => {
  const log = newLog(prices());
  const store = new MemoryStore();
  const { printed, told, report } = await runWithAlerts(log, store);

  const stored = [...store.alertRows.values()];
  assert.deepEqual(planted(stored), EXPECTED);
  assertSameAlerts(stored, referenceAlerts(store.table(), DEFAULT_ALERT_RULES));
  assert.deepEqual(told.map(alertKey).sort(), stored.map(alertKey).sort());
  assert.ok(printed.includes(formatAlert(stored.find((a) => a.kind === "anomaly")!)));
  assert.match(
    printed.join("\n"),
    /^ALERT coingecko BTC-USD 1m 10:50Z up \+6\.\d\d% \(z \d+\.\d\) \$[\d,.]+$/m,
  );
  assert.match(printed.join("\n"), /^ALERT coingecko BTC-USD 1m 10:50Z up \+6\.\d\d% \$[\d,.]+$/m);
  assert.equal(report.raised.move + report.raised.anomaly, EXPECTED.length);
  assert.equal(store.examine.size, 0, "every queued candle examined");
  assert.ok(report.examined > 2 * 60, `${report.examined} examined`);

  const onTopic = await alertTopic(log);
  assert.equal(onTopic.length, EXPECTED.length);
  for (const r of onTopic) {
    assert.deepEqual(r.headers, ALERT_HEADERS);
    assert.equal(r.key, `coingecko:${r.value.symbol}-USD`);
    assert.equal(r.key, `${r.value.source}:${r.value.product}`);
  }
  assert.deepEqual(
    onTopic.map((r) => r.value).sort((a, b) => JSON.stringify(a) < JSON.stringify(b) ? -1 : 1),
    stored.map(alertJson).sort((a, b) => JSON.stringify(a) < JSON.stringify(b) ? -1 : 1),
  );
  assert.equal(store.alertQueued.size, 0, "the alert outbox is empty");
});

Deno.test("The candle topology's Alerter raises nothing twice when the topic is read again from the beginning", async () => {
  const log = newLog(prices());
  const store = new MemoryStore();
  await runWithAlerts(log, store);
  const before = [...store.alertRows.values()];
  const again = await runWithAlerts(log, store, "another-group");
  assert.deepEqual(again.told, []);
  assert.deepEqual([...store.alertRows.values()], before);
  assert.equal((await alertTopic(log)).length, before.length);
});

Deno.test("A run stopped between the candle write and the alert insert leaves the candles queued; the next run raises their alerts, once", async () => {
  const log = newLog(prices());
  const store = new MemoryStore();
  const insertAlerts = store.insertAlerts.bind(store);
  store.insertAlerts = () => Promise.reject(new Error("the process died"));
  const first = await runWithAlerts(log, store);
  assert.deepEqual(first.told, []);
  assert.equal(store.alertRows.size, 0);
  assert.ok(store.examine.size > 100, `${store.examine.size} candles queued`);
  assert.ok(first.report.storeErrors > 0);

  // The next start: nothing new to read, but the queue is examined.
  store.insertAlerts = insertAlerts;
  const second = await runWithAlerts(log, store);
  assert.deepEqual(planted(second.told), EXPECTED);
  assertSameAlerts(second.told, referenceAlerts(store.table(), DEFAULT_ALERT_RULES));
  assert.equal(store.examine.size, 0);
  const third = await runWithAlerts(log, store);
  assert.deepEqual(third.told, []);
  assert.equal((await alertTopic(log)).length, EXPECTED.length);
});

Deno.test("alertPublisher() keeps alerts in the outbox while the topic cannot be reached, then publishes each", async () => {
  const store = new MemoryStore();
  const alert: Alert = {
    source: "coingecko",
    product: "BTC-USD",
    symbol: "BTC",
    interval: "1m",
    windowStart: START * 1000,
    kind: "move",
    direction: "up",
    changePct: 6.5,
    zscore: null,
    price: 48_001,
    createdAt: START * 1000 + 61_000,
  };
  await store.insertAlerts([alert, { ...alert, source: "coinbase", product: "BTC-EUR" }]);
  const sent: { topic: string; records: readonly OutRecord[] }[] = [];
  let failing = true;
  const transport: ProducerTransport = {
    connect: () => Promise.resolve(),
    ensureTopic: () => Promise.reject(new Error("not used")),
    send: (topic: string, records: readonly OutRecord[]) => {
      if (failing) return Promise.reject(new Error("broker away"));
      sent.push({ topic, records });
      return Promise.resolve(records.map((r) => ({ partition: r.partition, offset: "0" })));
    },
    disconnect: () => Promise.resolve(),
  };
  const report = new AlertReport();
  const supervisor = new Supervisor([{
    name: "alert-publisher",
    restart: "transient",
    shutdownMs: 5_000,
    actor: alertPublisher({
      store,
      transport,
      topic: "crypto-alerts",
      partitions: 3,
      report,
      nudge: new Nudge(),
      pollMs: 20,
    }),
  }]);
  const running = supervisor.run();
  await waitFor(() => report.publishErrors >= 2, { message: "two failed publishes" });
  assert.equal(store.alertQueued.size, 2, "still queued");
  failing = false;
  await waitFor(() => store.alertQueued.size === 0, { message: "the queued alerts published" });
  await supervisor.stop();
  await running;
  const records = sent.flatMap((s) => s.records);
  assert.deepEqual(records.map((r) => r.key), ["coingecko:BTC-USD", "coinbase:BTC-EUR"]);
  assert.equal(records[0]!.partition, partitionFor("coingecko:BTC-USD", 3));
  assert.equal(records[1]!.partition, partitionFor("coinbase:BTC-EUR", 3));
  assert.deepEqual(JSON.parse(records[0]!.value as string), alertJson(alert));
  assert.equal(report.published, 2);
});

Deno.test("alertOutputs() prints a new alert's line (or its JSON) and puts it on the live stream", () => {
  const hub = new LiveHub();
  const events: LiveEvent[] = [];
  hub.listen((event) => events.push(event));
  const lines: string[] = [];
  const alert: Alert = {
    source: "coinbase",
    product: "ETH-EUR",
    symbol: "ETH",
    interval: "5m",
    windowStart: Date.UTC(2025, 10, 12, 10, 55),
    kind: "anomaly",
    direction: "down",
    changePct: -2.0412,
    zscore: -9.04,
    price: 3_012.5,
    createdAt: Date.UTC(2025, 10, 12, 11, 0, 1),
  };
  alertOutputs({ hub, redis: null, print: (l) => lines.push(l), format: "line" })(alert);
  alertOutputs({ hub: null, redis: null, print: (l) => lines.push(l), format: "json" })(alert);
  hub.close();
  assert.deepEqual(lines, [
    "ALERT coinbase ETH-EUR 5m 10:55Z down -2.04% (z -9.0) €3,012.50",
    JSON.stringify(alertJson(alert)),
  ]);
  assert.deepEqual(events, [{ type: "alert", alert }]);
});

Deno.test("the Alerter dead-letters the alerts of a market the store refuses for good, takes its candles off the queue and stores the others'", async () => {
  const store = new MemoryStore();
  const minute = 60_000;
  const t0 = Date.UTC(2025, 10, 12, 10, 0);
  // A closed candle of each market moving 6 % from its open: a move alert each.
  const moving = (product: string): Candle => ({
    source: "coinbase",
    product,
    symbol: product.split("-")[0]!,
    quote: product.split("-")[1]!,
    interval: "1m" as const,
    windowStart: t0,
    windowEnd: t0 + minute,
    open: 100,
    high: 106,
    low: 100,
    close: 106,
    samples: 2,
    trades: 2,
    volume: 3,
    buyVolume: 2,
    sellVolume: 1,
    vwap: 103,
    firstEvent: t0,
    lastEvent: t0 + 30_000,
    closed: true,
    revision: 0,
  });
  // Two markets of BTC: the store refuses one, the other's alerts are stored.
  const candles = ["BTC-USD", "BTC-EUR", "SOL-USD"].map(moving);
  await store.write({ states: [], candles, latest: [], publish: [], examine: candles });
  store.refuses.set(
    "coinbase:BTC-EUR",
    'new row for relation "alerts" violates check constraint "no_btc_eur"',
  );

  const log = new MemoryLog();
  const producer = log.producer();
  await producer.ensureTopic({ topic: "crypto-dlq", partitions: 3, replicationFactor: 1 });
  const report = new AlertReport();
  const dlqReport = new DeadLetterReport();
  const queue = new DeadLetterQueue({
    transport: producer,
    topic: "crypto-dlq",
    partitions: 3,
    report: dlqReport,
    now: () => Date.now(),
  });
  const told: Alert[] = [];
  const stop = new AbortController();
  const running = alerter({
    store,
    rules: DEFAULT_ALERT_RULES,
    report,
    nudge: new Nudge(),
    onAlert: (alert) => told.push(alert),
    now: () => t0 + 2 * minute,
    pollMs: 10,
    deadLetters: { queue, alertTopic: "crypto-alerts" },
  })(noInbox, noOutbox, { name: "alerter", signal: stop.signal, attempt: 0 });
  await waitFor(() => store.examine.size === 0, { message: "every candle examined" });
  stop.abort();
  await running;

  assert.deepEqual(told.map((a) => a.product).sort(), ["BTC-USD", "SOL-USD"]);
  assert.deepEqual([...store.alertRows.values()].map((a) => a.product).sort(), [
    "BTC-USD",
    "SOL-USD",
  ]);
  assert.equal(report.refused, 1);
  assert.equal(dlqReport.refusedByStore, 1);
  const [letter] = dlqReport.latest;
  assert.equal(letter!.topic, "crypto-alerts");
  assert.equal(letter!.partition, null);
  assert.match(letter!.reason, /no_btc_eur/);
});
