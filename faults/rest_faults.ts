/**
 * Scenario 14: the Coinbase REST API misbehaves while `produce --source coinbase` repairs gaps
 * (docs/trades.md#gap-repair-and-backfill). The feed's stand-in keeps every few trades off the
 * socket, so gaps keep coming; its REST API answers them through a series of faults: a 429 with
 * `Retry-After`, 503s, HTML, a trade without `trade_id`, a page that repeats its cursor, an
 * endless chain of pages, and nothing older than the gap. The producer must keep running and
 * publishing the live trades, repair what a retry can get, count every other missing id as lost
 * with one warning a gap, never ask for a page twice, and stop cleanly.
 *
 * @module
 */
import { CoinbaseStub, type RestAnswer } from "../tests/support/coinbase_stub.ts";
import { type Ended, sleep, spawn } from "./command.ts";
import {
  check,
  restartsOf,
  type Scenario,
  type ScenarioContext,
  type ScenarioResult,
  stoppedCleanly,
} from "./scenario.ts";
import { unique } from "./topic.ts";
import { readTrades, summaryCount } from "./trade_feed.ts";

const PRODUCTS = ["BTC-USD", "ETH-USD"];
/** Trades a second per product. */
const RATE = 20;
/** One trade of the flow in this many starts a run kept off the socket: a gap. */
const WITHHOLD_EVERY = 15;
/** Trades of a product in a row kept off the socket. */
const RUN = 5;

const HTML =
  "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>";

/** A fault of REST for a phase: persistent (each request) or scripted (the next requests). */
interface Phase {
  name: string;
  /** Answers every request while the phase lasts. */
  fault?: (after: number | null) => RestAnswer | null;
  /** Answers the next requests, in order. */
  script?: RestAnswer[];
  /** Whether the gaps of the phase can be repaired (a retry gets them). */
  repairable: boolean;
}

const PHASES: Phase[] = [
  { name: "a REST that answers", repairable: true },
  {
    name: "429 with Retry-After: 1, twice",
    script: [
      { status: 429, headers: { "retry-after": "1" } },
      { status: 429, headers: { "retry-after": "1" } },
    ],
    repairable: true,
  },
  { name: "503 twice", script: [{ status: 503, body: HTML }, { status: 503 }], repairable: true },
  { name: "HTML with status 200", fault: () => ({ body: HTML }), repairable: false },
  {
    name: "a trade without trade_id",
    fault: () => ({
      page: (page) => ({
        ...page,
        trades: page.trades.map(({ trade_id, ...rest }, i) =>
          i === 0 ? rest : { trade_id, ...rest }
        ),
      }),
    }),
    repairable: false,
  },
  {
    name: "a page repeating its cursor",
    fault: () => ({ page: (page, after) => ({ trades: page.trades.slice(0, 1), next: after }) }),
    repairable: false,
  },
  {
    name: "an endless chain of pages",
    fault: () => ({
      page: (page) => ({
        trades: page.trades.slice(0, 1),
        next: (page.trades[0]?.trade_id as number | undefined) ?? null,
      }),
    }),
    repairable: false,
  },
  { name: "nothing older than the gap", fault: () => ({ body: [] }), repairable: false },
  { name: "a REST that answers again", repairable: true },
];

async function run(ctx: ScenarioContext): Promise<ScenarioResult> {
  const phaseMs = ctx.quick ? 1_500 : 6_000;
  const stub = await CoinbaseStub.start({ heartbeatMs: 500 });
  const topic = unique("faults-rest");
  const producer = spawn("produce", {
    args: [
      "--source",
      "coinbase",
      "--products",
      PRODUCTS.join(","),
      "--topic",
      topic,
      "--brokers",
      ctx.broker.brokers,
    ],
    env: { COINBASE_WS_URL: stub.url, COINBASE_REST_URL: stub.restUrl },
  });
  let ended: Ended | null = null;
  try {
    await producer.waitFor((out) => out.includes(`Subscribed to ${PRODUCTS.join(", ")}`), 60_000);
    stub.withholdEvery = WITHHOLD_EVERY;
    stub.withholdRun = RUN;
    ctx.log(
      `  ${RATE} trades/s per product; every ${WITHHOLD_EVERY}th begins ${RUN} kept off the socket`,
    );
    /** The trade ids kept off the socket in the phases whose gaps cannot be repaired. */
    const unrepairable = new Set<string>();
    for (const phase of PHASES) {
      const before = new Set(
        [...stub.history.values()].flat().map((m) => `${m.product_id}|${m.trade_id}`),
      );
      stub.restFault = phase.fault ?? null;
      if (phase.script) stub.restEnqueue(...phase.script);
      stub.startFlow(RATE, PRODUCTS);
      await sleep(phaseMs);
      stub.stopFlow();
      // A last trade on the socket shows any gap still open, and its repair ends under the fault.
      for (const product of PRODUCTS) stub.trade({ product, price: "100.00", size: "0.10000000" });
      await sleep(1_500);
      stub.restFault = null;
      if (!phase.repairable) {
        const sent = new Set(
          [...stub.sent.values()].flat().map((m) => `${m.product_id}|${m.trade_id}`),
        );
        for (const m of [...stub.history.values()].flat()) {
          const id = `${m.product_id}|${m.trade_id}`;
          if (!before.has(id) && !sent.has(id)) unrepairable.add(id);
        }
      }
      ctx.log(`  REST: ${phase.name}`);
    }
    const alive = producer.ended === null;
    ended = await producer.stop();
    const stdout = producer.stdout;
    const stderr = producer.stderr;
    const onTopic = await readTrades(ctx.broker.brokers, topic);

    const made = [...stub.history.values()].flat();
    const sent = new Set(
      [...stub.sent.values()].flat().map((m) => `${m.product_id}|${m.trade_id}`),
    );
    const ids = onTopic.map((t) => `${t.value.product_id}|${t.value.trade_id}`);
    const distinct = new Set(ids);
    const duplicated = ids.length - distinct.size;
    const liveMissing = [...sent].filter((id) => !distinct.has(id)).length;
    const absent: string[] = [];
    for (const product of PRODUCTS) {
      const tradeIds = onTopic.filter((t) => t.value.product_id === product)
        .map((t) => t.value.trade_id as number);
      if (tradeIds.length === 0) continue;
      const have = new Set(tradeIds);
      const last = Math.max(...tradeIds);
      for (let id = Math.min(...tradeIds); id <= last; id++) {
        if (!have.has(id)) absent.push(`${product}|${id}`);
      }
    }
    const absentInRange = absent.length;
    const repairedLine = /^Repaired from REST: (\d+) \(lost: (\d+)\)$/m.exec(stdout);
    const repaired = Number(repairedLine?.[1] ?? -1);
    const lostCounted = Number(repairedLine?.[2] ?? -1);
    const gaps = summaryCount(stdout, "Gaps in trade ids") ?? -1;
    const lostWarnings = stderr.split("\n").filter((l) => /Lost \d+ \S+ trade\(s\)/.test(l)).length;
    const offSocket = made.filter((m) => !sent.has(`${m.product_id}|${m.trade_id}`));
    const repairedOnTopic = offSocket.filter((m) => distinct.has(`${m.product_id}|${m.trade_id}`));
    // No page asked for twice: an answered request's cursor is never asked again.
    const answered = stub.restRequests.filter((r) => r.status === 200);
    const cursors = new Set(answered.map((r) => `${r.product}|${r.after}`));
    const askedAgain = answered.length - cursors.size;
    // Ids missing from the topic that were not kept off the socket while REST answered badly.
    const unexplained = absent.filter((id) => !unrepairable.has(id)).length;
    const checks = [
      check(
        "producer kept running through every fault of REST",
        alive,
        alive ? "running when stopped" : `exited early: ${producer.ended?.code}`,
      ),
      stoppedCleanly(ended, stdout.includes("Trade producer summary")),
      check(
        "the live feed unaffected: every trade sent on the socket is on the topic, once",
        liveMissing === 0 && duplicated === 0,
        `${liveMissing} of ${sent.size} sent missing, ${duplicated} duplicated`,
      ),
      check(
        "the gaps a retry can get repaired (429 and 503 waited out)",
        repaired === repairedOnTopic.length && repaired >= offSocket.length - unrepairable.size,
        `${repaired} repaired, ${repairedOnTopic.length} of ${offSocket.length} kept off the socket on the topic, ${unrepairable.size} in the phases of bad answers`,
      ),
      check(
        "every id missing on the topic counted as lost, and only those REST answered badly for",
        absentInRange === lostCounted && unexplained === 0 && lostCounted > 0,
        `${absentInRange} ids absent between the first and last of each product, ${lostCounted} counted lost, of the ${unrepairable.size} kept off the socket while REST answered badly ${
          unrepairable.size - absentInRange + unexplained
        } got through (a gap short enough for the fault's pages to reach), ${unexplained} absent ids kept off while REST answered`,
      ),
      check(
        "each lost gap logged once, and no page asked for twice",
        lostWarnings > 0 && lostWarnings <= gaps && askedAgain === 0,
        `${lostWarnings} "Lost" warnings for ${gaps} gaps; ${stub.restRequests.length} REST requests, ${askedAgain} asked again`,
      ),
      check("no restart", restartsOf(producer) === 0, `${restartsOf(producer)} restarts`),
    ];
    return {
      id: "14",
      title: "REST misbehaves",
      injected:
        `under produce --source coinbase (${RATE} trades/s per product, every ${WITHHOLD_EVERY}th trade begins ${RUN} kept off the socket), REST answers in turn: ${
          PHASES.slice(1, -1).map((p) => p.name).join("; ")
        }`,
      expected:
        "keeps running and publishing the live trades; 429 and 503 waited out and the gaps repaired; every other missing id counted lost, one warning a gap, no page asked for twice; exit 0",
      measured: {
        fetched: made.length,
        delivered: distinct.size,
        lost: made.length - distinct.size - lostCounted,
        duplicated,
        dropped: summaryCount(stdout, "Dropped (buffer full)") ?? 0,
        restarts: restartsOf(producer),
        exitCode: ended.code,
      },
      checks,
      notes: [
        `${gaps} gaps; ${repaired} trades repaired from REST, ${lostCounted} lost; ${stub.restRequests.length} REST requests (${
          stub.restRequests.filter((r) => r.status === 429).length
        } answered 429)`,
      ],
      explanation:
        `REST misbehaves (docs/trades.md#gap-repair-and-backfill): \`produce --source coinbase\` runs against the feed's stand-in (\`tests/support/coinbase_stub.ts\`), which keeps runs of ${RUN} trades off the socket; its REST API, which the producer repairs the gaps from, goes through the faults listed, a phase each. *fetched* is every trade the stand-in made, *delivered* the distinct trade ids on the topic, *lost* = fetched − delivered − the ids the producer counted as lost (each with a warning): a trade missing without being counted.`,
    };
  } finally {
    if (producer.ended === null) await producer.stop();
    await stub.close();
  }
}

/** Scenario 14. */
export const restFaults: Scenario = { id: "14", run };
