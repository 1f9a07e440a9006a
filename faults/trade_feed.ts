/**
 * Scenario 13: the Coinbase trade feed misbehaves under `produce --source coinbase` (docs/trades.md).
 * A stand-in of the feed of the scenario's own sends trades of two products while it refuses a
 * third, drops the connection (and replays trades already sent on the resubscription), goes
 * silent past `COINBASE_STALE_AFTER`, skips trade ids, and sends malformed frames. The producer
 * must keep running, reconnect each time, publish every trade it received exactly once in trade
 * id order, repair the trades it missed while away from the stand-in's REST API (the ids the
 * stand-in skipped, which REST has not either, counted as lost), and stop cleanly.
 *
 * @module
 */
import { CoinbaseStub } from "../tests/support/coinbase_stub.ts";
import { expectedTrade } from "../tests/support/trades.ts";
import { type Ended, occurrences, sleep, spawn } from "./command.ts";
import {
  check,
  restartsOf,
  type Scenario,
  type ScenarioContext,
  type ScenarioResult,
  stoppedCleanly,
} from "./scenario.ts";
import { plainKafka, unique } from "./topic.ts";

const PRODUCTS = ["BTC-USD", "ETH-USD"];
const REFUSED = "NOPE-USD";
/** `COINBASE_STALE_AFTER`, s. */
const STALE_AFTER = 2;
/** Trade ids skipped by the stand-in (a gap), BTC-USD. */
const SKIPPED = 7;
/** Trades of each product replayed after the dropped connection. */
const REPLAYED = 5;
/** Trades a second per product. */
const RATE = 20;

const MALFORMED = [
  "{not json",
  "[1,2,3]",
  JSON.stringify({ type: "match", product_id: "BTC-USD" }),
  JSON.stringify({
    type: "match",
    trade_id: 1,
    side: "buy",
    size: "1",
    price: "-5",
    product_id: "BTC-USD",
    time: "2025-11-12T10:00:00.000000Z",
  }),
  JSON.stringify({
    type: "match",
    trade_id: 1,
    side: "buy",
    size: "1",
    price: "5",
    product_id: "BTC-USD",
    time: "yesterday",
  }),
];

/** A trade read back from the topic. */
export interface TopicTrade {
  partition: number;
  offset: number;
  key: string;
  headers: Record<string, string>;
  value: Record<string, unknown>;
}

/** Reads every record of a topic, up to its end offsets of the moment it starts. */
export async function readTrades(brokers: string, topic: string): Promise<TopicTrade[]> {
  const kafka = plainKafka(brokers);
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, number>;
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    ends = new Map(
      offsets.filter((o) => Number(o.high) > Number(o.low)).map((o) => [o.partition, +o.high]),
    );
  } finally {
    await admin.disconnect();
  }
  const trades: TopicTrade[] = [];
  if (ends.size === 0) return trades;
  const consumer = kafka.consumer({ groupId: unique("faults-trades-reader") });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const remaining = new Set(ends.keys());
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Read ${trades.length} trades`)), 60_000);
      consumer.run({
        eachMessage: ({ partition, message }) => {
          const offset = Number(message.offset);
          const end = ends.get(partition);
          if (end !== undefined && offset < end) {
            const headers: Record<string, string> = {};
            for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
            trades.push({
              partition,
              offset,
              key: message.key?.toString("utf8") ?? "",
              headers,
              value: JSON.parse(message.value?.toString("utf8") ?? "null"),
            });
          }
          if (end === undefined || offset >= end - 1) remaining.delete(partition);
          if (remaining.size === 0) {
            clearTimeout(timer);
            resolve();
          }
          return Promise.resolve();
        },
      }).catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return trades.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

/** A count from the trade producer's summary. */
export function summaryCount(stdout: string, label: string): number | null {
  const at = stdout.lastIndexOf("Trade producer summary");
  const match = new RegExp(`^${label.replace(/[()]/g, "\\$&")}: (\\d+)`, "m").exec(
    at < 0 ? "" : stdout.slice(at),
  );
  return match ? Number(match[1]) : null;
}

async function waitUntil(what: string, condition: () => boolean, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function run(ctx: ScenarioContext): Promise<ScenarioResult> {
  const phaseMs = ctx.quick ? 1_500 : 8_000;
  const stub = await CoinbaseStub.start({ heartbeatMs: 500 });
  stub.unknown.add(REFUSED);
  const topic = unique("faults-trades");
  const producer = spawn("produce", {
    args: [
      "--source",
      "coinbase",
      "--products",
      [...PRODUCTS, REFUSED].join(","),
      "--topic",
      topic,
      "--brokers",
      ctx.broker.brokers,
    ],
    env: {
      COINBASE_WS_URL: stub.url,
      COINBASE_REST_URL: stub.restUrl,
      COINBASE_STALE_AFTER: String(STALE_AFTER),
    },
  });
  let ended: Ended | null = null;
  try {
    await producer.waitFor((out) => out.includes(`Subscribed to ${PRODUCTS.join(", ")}`), 60_000);
    ctx.log(`  ${REFUSED} refused; subscribed to ${PRODUCTS.join(", ")}; ${RATE} trades/s each`);
    stub.startFlow(RATE, PRODUCTS);
    await sleep(phaseMs);

    for (const frame of MALFORMED) stub.raw(frame);
    ctx.log(`  ${MALFORMED.length} malformed frames sent`);
    await sleep(phaseMs);

    // A dropped connection; the trades already sent are sent again on resubscribing.
    stub.stopFlow();
    await sleep(500);
    const subscriptions = stub.subscriptions.length;
    stub.replayOnReconnect(REPLAYED);
    stub.drop();
    await waitUntil("the resubscription", () => stub.subscriptions.length > subscriptions);
    await waitUntil("the new connection", () => stub.subscribed === 1);
    ctx.log(`  connection dropped; resubscribed, ${REPLAYED} trades a product replayed`);
    stub.startFlow(RATE, PRODUCTS);
    await sleep(phaseMs);

    stub.skip("BTC-USD", SKIPPED);
    ctx.log(`  ${SKIPPED} BTC-USD trade ids skipped`);
    await sleep(phaseMs);

    // Silent, heartbeats included, past COINBASE_STALE_AFTER; trades go on meanwhile.
    const connections = stub.connections;
    stub.stall((STALE_AFTER + 4) * 1000);
    const stalledAt = Date.now();
    await waitUntil("a reconnection after the stall", () => stub.connections > connections);
    const staleMs = Date.now() - stalledAt;
    await waitUntil("the new connection", () => stub.subscribed >= 1);
    ctx.log(`  feed silent; reconnected after ${(staleMs / 1000).toFixed(1)} s`);
    await sleep(phaseMs);

    stub.stopFlow();
    await sleep(1_500);
    const alive = producer.ended === null;
    ended = await producer.stop();
    const stdout = producer.stdout;
    const stderr = producer.stderr;
    const onTopic = await readTrades(ctx.broker.brokers, topic);

    // What the stand-in sent, and what the topic holds.
    const sent = new Map(
      [...stub.sent.values()].flat().map((m) => [`${m.product_id}|${m.trade_id}`, m]),
    );
    const ids = onTopic.map((t) => `${t.value.product_id}|${t.value.trade_id}`);
    const distinct = new Set(ids);
    const duplicated = ids.length - distinct.size;
    const invented = [...distinct].filter((id) => !sent.has(id)).length;
    let outOfOrder = 0;
    let wrongFields = 0;
    let absentInRange = 0;
    for (const product of PRODUCTS) {
      const mine = onTopic.filter((t) => t.value.product_id === product);
      const tradeIds = mine.map((t) => t.value.trade_id as number);
      // The feed's trades in trade id order; those repaired from REST (no sequence) come later.
      const fed = mine.filter((t) => t.value.sequence !== null).map((t) =>
        t.value.trade_id as number
      );
      for (let i = 1; i < fed.length; i++) if (fed[i]! <= fed[i - 1]!) outOfOrder++;
      for (const t of mine) {
        const match = sent.get(`${product}|${t.value.trade_id}`);
        const { received_at: _, ...fields } = t.value;
        const want = match && t.value.sequence === null
          ? { ...expectedTrade(match), sequence: null }
          : match && expectedTrade(match);
        if (
          !want || JSON.stringify(fields) !== JSON.stringify(want) ||
          t.key !== product.split("-")[0] || t.headers.schema !== "crypto-trade/v1"
        ) wrongFields++;
      }
      if (tradeIds.length > 0) {
        const have = new Set(tradeIds);
        const first = Math.min(...tradeIds);
        const last = Math.max(...tradeIds);
        for (let id = first; id <= last; id++) if (!have.has(id)) absentInRange++;
      }
    }
    const gaps = summaryCount(stdout, "Gaps in trade ids") ?? -1;
    const missing = Number(/^Gaps in trade ids: \d+ \((\d+) missing\)$/m.exec(stdout)?.[1] ?? -1);
    const repeats = summaryCount(stdout, "Seen twice, published once") ?? -1;
    const stalls = summaryCount(stdout, "Silent feed, reconnected") ?? -1;
    const connected = summaryCount(stdout, "Connections") ?? -1;
    const produced = summaryCount(stdout, "Messages produced") ?? -1;
    const dropped = summaryCount(stdout, "Dropped (buffer full)") ?? 0;
    const malformed = summaryCount(stdout, "Malformed frames") ?? -1;
    // Trades the stand-in sent while the producer was not connected: missed, counted as gaps,
    // and repaired from REST; the ids it skipped REST has not either: counted as lost.
    const missedWhileAway = missing - SKIPPED;
    const lost = sent.size - distinct.size;
    const repairLine = /^Repaired from REST: (\d+) \(lost: (\d+)\)$/m.exec(stdout);
    const repaired = Number(repairLine?.[1] ?? -1);
    const lostCounted = Number(repairLine?.[2] ?? -1);
    const refusedLogged = occurrences(stderr, `Coinbase refused ${REFUSED}`);
    const checks = [
      check(
        "producer kept running through every fault",
        alive,
        alive ? "running when stopped" : `exited early: ${producer.ended?.code}`,
      ),
      stoppedCleanly(ended, stdout.includes("Trade producer summary")),
      check(
        `unknown product refused once, logged once, the others subscribed`,
        refusedLogged === 1 && stdout.includes(`Refused by the feed: ${REFUSED}`) &&
          JSON.stringify(stub.subscriptions[1]) === JSON.stringify(PRODUCTS),
        `${refusedLogged} log line(s); second subscription ${
          JSON.stringify(stub.subscriptions[1])
        }`,
      ),
      check(
        "reconnected after the dropped connection and after the stall",
        connected === 3 && occurrences(stderr, "the feed closed the connection (code 1011") === 1,
        `Connections: ${connected}`,
      ),
      check(
        `a feed silent past COINBASE_STALE_AFTER (${STALE_AFTER} s) taken as dead`,
        stalls === 1 && stderr.includes(`no message from the feed for ${STALE_AFTER} s`) &&
          staleMs < (STALE_AFTER + 3) * 1000,
        `Silent feed, reconnected: ${stalls}; new connection ${
          (staleMs / 1000).toFixed(1)
        } s after the stall began`,
      ),
      check(
        "replayed trades (the last_match and the replay) published once",
        repeats >= PRODUCTS.length * (REPLAYED + 1) && duplicated === 0,
        `Seen twice, published once: ${repeats}; ${duplicated} duplicates on the topic`,
      ),
      check(
        `the skipped ids logged as a gap of ${SKIPPED}`,
        new RegExp(`Gap in BTC-USD trades: ${SKIPPED} trade id\\(s\\) missing`).test(stderr),
        `Gaps in trade ids: ${gaps} (${missing} missing)`,
      ),
      check(
        "every id missing is a counted gap; those sent while away repaired, the skipped ones lost",
        absentInRange === SKIPPED && lostCounted === SKIPPED && missedWhileAway >= 0 &&
          repaired === missedWhileAway,
        `${absentInRange} ids absent between the first and last of each product; ${missing} missing counted (${SKIPPED} skipped, ${missedWhileAway} sent while away); ${repaired} repaired from REST, ${lostCounted} lost`,
      ),
      check(
        `malformed frames skipped and counted (${MALFORMED.length})`,
        malformed === MALFORMED.length,
        `Malformed frames: ${malformed}`,
      ),
      check(
        "each trade once, the feed's in trade id order, with the fields of docs/trades.md",
        duplicated === 0 && outOfOrder === 0 && wrongFields === 0 && invented === 0,
        `${duplicated} duplicated, ${outOfOrder} out of order, ${wrongFields} with wrong fields, ${invented} not sent by the feed`,
      ),
      check(
        "nothing lost: every trade sent is on the topic, those missed while away repaired",
        lost === 0,
        `${sent.size} sent, ${distinct.size} on the topic, ${missedWhileAway} missed while away`,
      ),
      check(
        "summary's Messages produced = trades on the topic",
        produced === onTopic.length,
        `${produced} vs ${onTopic.length}`,
      ),
      check("no restart", restartsOf(producer) === 0, `${restartsOf(producer)} restarts`),
    ];
    return {
      id: "13",
      title: "Coinbase trade feed faults",
      injected:
        `under produce --source coinbase (${RATE} trades/s per product, COINBASE_STALE_AFTER=${STALE_AFTER}): an unknown product; ${MALFORMED.length} malformed frames; the connection dropped, ${REPLAYED} trades a product replayed on resubscribing; ${SKIPPED} trade ids skipped; the feed silent ${
          STALE_AFTER + 4
        } s`,
      expected:
        "keeps running; the unknown product left out, once; reconnects after the drop and the stall; each trade once, the feed's in trade id order; every missing id a counted gap, repaired from REST when it has it; malformed frames counted; exit 0",
      measured: {
        fetched: sent.size,
        delivered: distinct.size,
        lost,
        duplicated,
        dropped,
        restarts: restartsOf(producer),
        exitCode: ended.code,
      },
      checks,
      notes: [
        `${onTopic.length} trades on the topic; ${repeats} seen twice; ${gaps} gap(s), ${missing} ids missing (${SKIPPED} skipped by the stand-in, ${missedWhileAway} sent while the producer was not connected, ${repaired} repaired from REST)`,
      ],
      explanation:
        `Coinbase trade feed faults (docs/trades.md): \`produce --source coinbase --products ${
          [...PRODUCTS, REFUSED].join(",")
        }\` runs against a stand-in of the feed of the scenario's own (\`tests/support/coinbase_stub.ts\`), which refuses ${REFUSED} and sends a random walk of trades. *fetched* is the trades the stand-in sent, *delivered* the distinct trade ids read back from the topic, *lost* = fetched − delivered: the trades sent while the producer was not connected are not resent by the feed; the producer counts them as gaps and repairs them from the stand-in's REST API, which has every trade it made (the ids it skipped it has not: those are counted as lost, and the check holds that count to the ids absent on the topic). The replay is of trades the producer had published: the flow is paused before the drop, so they are all repeats.`,
    };
  } finally {
    if (producer.ended === null) await producer.stop();
    await stub.close();
  }
}

/** Scenario 13. */
export const tradeFeed: Scenario = { id: "13", run };
