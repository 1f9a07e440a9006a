import assert from "node:assert/strict";
import { logSupervisorEvent } from "../../actors/producer_topology.ts";
import { tradeChildren } from "../../actors/trade_topology.ts";
import { loadProducerConfig } from "../../config/produce.ts";
import type { Delivery, OutRecord, ProducerTransport } from "../../kafka/transport.ts";
import { Supervisor } from "../../runtime/supervisor.ts";
import { type TradeGap, tradeRepairer } from "../../actors/trade_repairer.ts";
import { TradeSequences } from "../../market/trade_sequence.ts";
import { noOutbox } from "../../runtime/actor.ts";
import { Channel } from "../../runtime/channel.ts";
import { CoinbaseRestClient } from "../../sources/coinbase_rest.ts";
import type { Clock } from "../../runtime/delay.ts";
import { FakeClock } from "../support/fake_clock.ts";
import { ManualClock } from "../support/manual_clock.ts";
import { FakeExchange } from "../support/fake_exchange.ts";
import { CoinbaseStub, type RestAnswer, type StubMatch } from "../support/coinbase_stub.ts";
import { captureLogs, type LoggedLine } from "../support/logs.ts";

/** A broker that acknowledges everything and keeps the records, in order. */
function keepingTransport(): ProducerTransport & { records: OutRecord[] } {
  const records: OutRecord[] = [];
  let offset = 0;
  return {
    records,
    connect: () => Promise.resolve(),
    ensureTopic: () => Promise.resolve({ partitions: 3, created: false }),
    disconnect: () => Promise.resolve(),
    send(_topic: string, batch: readonly OutRecord[]): Promise<Delivery[]> {
      records.push(...batch);
      return Promise.resolve(batch.map((r) => ({ partition: r.partition, offset: `${offset++}` })));
    },
  };
}

async function until(what: string, condition: () => boolean, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Run {
  records: OutRecord[];
  report: ReturnType<typeof tradeChildren>["report"];
  restarts: () => number;
}

/**
 * Runs the trade children (source, repairer, publisher) against the stand-in until `body` ends,
 * then stops them: what they published is final once this resolves. `restClock` times the REST
 * client's waits (Retry-After, backoff, request spacing).
 */
async function withRepairs(
  stub: CoinbaseStub,
  products: string,
  body: (run: Run) => Promise<void>,
  restClock?: Clock,
): Promise<{ logs: LoggedLine[]; summary: string[]; records: OutRecord[] }> {
  const config = loadProducerConfig(
    ["--source", "coinbase", "--products", products],
    (name) =>
      ({ COINBASE_WS_URL: stub.url, COINBASE_REST_URL: stub.restUrl, COINBASE_STALE_AFTER: "5" })[
        name
      ],
  )!;
  const transport = keepingTransport();
  let summary: string[] = [];
  const logs = await captureLogs(async () => {
    const topology = tradeChildren({
      config,
      transport,
      partitions: 3,
      print: () => {},
      backoff: { minMs: 20, maxMs: 200 },
      tickMs: 100,
      // Quick backoff of 5xx answers; the rest as configured.
      rest: new CoinbaseRestClient({
        baseUrl: stub.restUrl,
        timeoutMs: 5_000,
        maxRetries: 3,
        maxRetryAfterMs: 300_000,
      }, { backoff: { minMs: 50, maxMs: 200 }, ...(restClock ? { clock: restClock } : {}) }),
    });
    const supervisor = new Supervisor(topology.children, { onEvent: logSupervisorEvent });
    const running = supervisor.run();
    try {
      await until("the subscription", () => stub.subscribed === 1);
      await body({
        records: transport.records,
        report: topology.report,
        restarts: () => Object.values(supervisor.restarts).reduce((a, b) => a + b, 0),
      });
    } finally {
      await supervisor.stop();
      await running;
    }
    summary = topology.report.summary();
  });
  return { logs, summary, records: transport.records };
}

const values = (records: readonly OutRecord[]) =>
  records.map((r) => JSON.parse(r.value as string) as Record<string, unknown>);

/** The message a trade of the stand-in must become (REST gives no sequence). */
function expected(match: StubMatch, repaired: boolean) {
  return {
    symbol: match.product_id.split("-")[0],
    product_id: match.product_id,
    trade_id: match.trade_id,
    price: Number(match.price),
    size: Number(match.size),
    side: match.side,
    time: match.time,
    sequence: repaired ? null : match.sequence,
    source: "coinbase",
  };
}

let price = 100;
const next = (product: string) => ({
  product,
  price: (price += 0.01).toFixed(2),
  size: "0.50000000",
  side: (Math.round(price * 100) % 2 === 0 ? "buy" : "sell") as "buy" | "sell",
});

Deno.test("tradeRepairer() reads single ids and runs of 50 the feed skipped from REST and publishes each once, with the message the feed would give, right after the trade that showed the gap", async () => {
  const stub = await CoinbaseStub.start({ heartbeatMs: 0 });
  try {
    const { logs, summary, records } = await withRepairs(
      stub,
      "BTC-USD,ETH-USD",
      async ({ records }) => {
        const withheld = (i: number) => i === 10 || (i >= 100 && i < 150) || i === 200;
        for (let i = 0; i < 300; i++) {
          stub.trade(next("BTC-USD"), { socket: !withheld(i) });
          stub.trade(next("ETH-USD"), { socket: i !== 42 });
          if (i % 50 === 49) await sleep(5);
        }
        await until("every trade", () => records.length >= 600);
      },
    );
    // Stopped: all it ever published.
    assert.equal(records.length, 600);
    {
      for (const product of ["BTC-USD", "ETH-USD"]) {
        const made = stub.history.get(product)!;
        const sent = new Set(stub.sent.get(product)!.map((m) => m.trade_id));
        const mine = values(records).filter((v) => v.product_id === product);
        const byId = new Map(mine.map((v) => [v.trade_id, v]));
        assert.equal(byId.size, made.length, `${product}: each trade once`);
        for (const match of made) {
          const { received_at: _, ...fields } = byId.get(match.trade_id)!;
          assert.deepEqual(fields, expected(match, !sent.has(match.trade_id)));
        }
        // Live trades in trade id order; each repaired run in order, after the gap's end came.
        const live = mine.filter((v) => v.sequence !== null).map((v) => v.trade_id as number);
        assert.deepEqual(live, [...live].sort((a, b) => a - b));
        const ids = mine.map((v) => v.trade_id as number);
        for (const [i, v] of mine.entries()) {
          if (v.sequence !== null) continue;
          const id = v.trade_id as number;
          const revealedAt = ids.findIndex((other, j) => other > id && mine[j]!.sequence !== null);
          assert.ok(revealedAt >= 0 && revealedAt < i, `${product} ${id} after the gap's end`);
        }
      }
    }
    assert.ok(summary.includes("Gaps in trade ids: 4 (53 missing)"), summary.join("\n"));
    assert.ok(summary.includes("Repaired from REST: 53 (lost: 0)"), summary.join("\n"));
    assert.ok(summary.includes("Trades published: 600"));
    assert.ok(summary.includes("Messages produced: 600"));
    const repaired = logs.filter((l) => l.text.startsWith("Repaired "));
    assert.equal(repaired.length, 4, repaired.map((l) => l.text).join("\n"));
    assert.ok(
      repaired.some((l) =>
        /^Repaired BTC-USD ids \d+-\d+: 50 trade\(s\) from REST in/.test(l.text)
      ),
    );
    assert.ok(!logs.some((l) => l.level === "warning" && !l.text.startsWith("Gap in")));
  } finally {
    await stub.close();
  }
});

Deno.test("tradeRepairer() publishes a trade that comes both late on the feed and from REST once, whichever comes first", async () => {
  const stub = await CoinbaseStub.start({ heartbeatMs: 0 });
  try {
    const { summary, records } = await withRepairs(stub, "BTC-USD", async ({ records }) => {
      // The feed first: REST is held back a second by a 429 while the feed sends the trade late.
      stub.restEnqueue({ status: 429, headers: { "retry-after": "1" } });
      stub.trade(next("BTC-USD"));
      const late = stub.trade(next("BTC-USD"), { socket: false });
      stub.trade(next("BTC-USD"));
      await until("the repair's first request", () => stub.restRequests.length === 1);
      stub.raw(JSON.stringify(late));
      await until("the repair's second request", () => stub.restRequests.length === 2, 5_000);
      // REST first: the repaired trade comes again on the feed afterwards.
      const early = stub.trade(next("BTC-USD"), { socket: false });
      stub.trade(next("BTC-USD"));
      await until("5 records", () => records.length === 5);
      stub.raw(JSON.stringify(early));
      stub.trade(next("BTC-USD"));
      await until("6 records", () => records.length >= 6);
    });
    // Stopped: all it ever published, each trade once.
    const ids = values(records).map((v) => v.trade_id as number);
    assert.equal(ids.length, 6);
    assert.equal(new Set(ids).size, 6);
    assert.deepEqual(
      [...ids].sort((a, b) => a - b),
      stub.history.get("BTC-USD")!.map((m) => m.trade_id),
    );
    assert.ok(summary.includes("Repaired from REST: 1 (lost: 0)"), summary.join("\n"));
    assert.ok(summary.includes("Seen twice, published once: 1"), summary.join("\n"));
  } finally {
    await stub.close();
  }
});

Deno.test("tradeRepairer() waits out a 429's Retry-After and two 503s during a repair and completes it, while the live trades after the gap are published meanwhile", async () => {
  const stub = await CoinbaseStub.start({ heartbeatMs: 0 });
  // The REST client waits on a clock the test moves: time passes for the repair only when let.
  const clock = new ManualClock(Date.now());
  try {
    const { logs, summary } = await withRepairs(stub, "BTC-USD", async ({ records }) => {
      stub.restEnqueue(
        { status: 429, headers: { "retry-after": "1" } },
        { status: 503, body: "<html><title>503 Service Unavailable</title></html>" },
        { status: 503 },
      );
      stub.trade(next("BTC-USD"));
      for (let i = 0; i < 50; i++) stub.trade(next("BTC-USD"), { socket: false });
      stub.trade(next("BTC-USD"));
      // The 429 asks for a second: the repair waits it out, asking nothing more meanwhile.
      await until("the repair to wait out the Retry-After", () => clock.pending.includes(1_000));
      assert.equal(stub.restRequests.length, 1);
      // The live trades after the gap are published while the repair waits.
      for (let i = 0; i < 29; i++) stub.trade(next("BTC-USD"));
      await until("the live trades", () => records.length === 31);
      assert.equal(stub.restRequests.length, 1);
      // Then time passes, as much as the client waits for each time: it retries and completes.
      await until("every trade", () => {
        if (clock.pending.length > 0) clock.advance(Math.max(...clock.pending));
        return records.length === 81;
      });
      const seq = values(records).map((v) => v.sequence);
      // The trade before the gap and the live ones, then the repaired ones.
      assert.equal(seq.indexOf(null), 31);
      assert.equal(seq.filter((s) => s === null).length, 50);
    }, clock);
    assert.deepEqual(stub.restRequests.map((r) => r.status), [429, 503, 503, 200]);
    assert.equal(clock.sleeps[0], 1_000, "the Retry-After waited out");
    assert.ok(summary.includes("Repaired from REST: 50 (lost: 0)"), summary.join("\n"));
    const retries = logs.filter((l) => l.text.includes("; retry "));
    assert.equal(retries.length, 3, retries.map((l) => l.text).join("\n"));
    assert.match(retries[0]!.text, /HTTP 429 \(rate limited\): HTTP 429; retry 1 of 3 in 1\.0 s$/);
    assert.match(retries[1]!.text, /HTTP 503: 503 Service Unavailable; retry 2 of 3 in/);
  } finally {
    await stub.close();
  }
});

Deno.test("tradeRepairer() counts a gap older than REST keeps as lost, logs it once and never asks for it again", async () => {
  const stub = await CoinbaseStub.start({ heartbeatMs: 0 });
  try {
    let restarted = -1;
    const { logs, summary, records } = await withRepairs(
      stub,
      "BTC-USD",
      async ({ records, restarts, report }) => {
        stub.trade(next("BTC-USD"));
        for (let i = 0; i < 50; i++) stub.trade(next("BTC-USD"), { socket: false });
        const after = stub.trade(next("BTC-USD"), { socket: false });
        stub.forgetBelow("BTC-USD", after.trade_id);
        stub.raw(JSON.stringify(after));
        await until("the gap to be given up", () => report.totals.lost === 50);
        // Live trades after it: none of them has the gap asked for again.
        for (let i = 0; i < 20; i++) {
          stub.trade(next("BTC-USD"));
          await sleep(50);
        }
        await until("the live trades", () => records.length >= 22);
        restarted = restarts();
      },
    );
    // Stopped: all it ever published and asked.
    assert.equal(records.length, 22);
    assert.equal(restarted, 0);
    assert.equal(stub.restRequests.length, 1);
    assert.ok(summary.includes("Repaired from REST: 0 (lost: 50)"), summary.join("\n"));
    const lost = logs.filter((l) => l.text.startsWith("Lost "));
    assert.equal(lost.length, 1, lost.map((l) => l.text).join("\n"));
    assert.match(
      lost[0]!.text,
      /^Lost 50 BTC-USD trade\(s\), ids \d+-\d+: older than Coinbase's REST API keeps \(nothing below \d+\); not asked for again$/,
    );
    assert.equal(lost[0]!.level, "warning");
  } finally {
    await stub.close();
  }
});

Deno.test("tradeRepairer() ends each bad REST answer (HTML, a trade without trade_id, a page repeating its cursor, an endless chain of pages) with one warning, and the live feed goes on", async () => {
  const stub = await CoinbaseStub.start({ heartbeatMs: 0 });
  const html = "<!DOCTYPE html><html><head><title>Just a moment...</title></head></html>";
  const faults: [string, (after: number | null) => RestAnswer, RegExp][] = [
    [
      "HTML",
      () => ({ body: html }),
      /HTTP 200 with a body that is not JSON \(text\/html\): Just a moment\.\.\.$/,
    ],
    [
      "a trade without trade_id",
      () => ({
        page: (page) => ({
          ...page,
          trades: page.trades.map(({ trade_id: _, ...rest }, i) =>
            i === 0 ? rest : { trade_id: _, ...rest }
          ),
        }),
      }),
      /entry 0 is a trade of BTC-USD with trade_id undefined$/,
    ],
    [
      "a page repeating its cursor",
      () => ({ page: (page, after) => ({ trades: page.trades.slice(0, 1), next: after }) }),
      /the page repeats the cursor \(cb-after \d+\)$/,
    ],
    [
      "an endless chain",
      () => ({
        page: (page) => ({
          trades: page.trades.slice(0, 1),
          next: page.trades[0]!.trade_id as number,
        }),
      }),
      /3 pages did not reach trade id \d+ from \d+ \(an endless chain of pages\)$/,
    ],
  ];
  try {
    const { logs, summary } = await withRepairs(
      stub,
      "BTC-USD",
      async ({ records, restarts, report }) => {
        let live = 0;
        for (const [name, fault] of faults) {
          stub.restFault = fault;
          const lost = report.totals.lost;
          stub.trade(next("BTC-USD"));
          for (let i = 0; i < 5; i++) stub.trade(next("BTC-USD"), { socket: false });
          stub.trade(next("BTC-USD"));
          live += 2;
          await until(`the repair to end on ${name}`, () => report.totals.lost === lost + 5);
          await until("the live trades", () => records.length === live);
          stub.restFault = null;
        }
        for (let i = 0; i < 10; i++) stub.trade(next("BTC-USD"));
        await until("the live trades after", () => records.length === live + 10);
        assert.equal(restarts(), 0);
      },
    );
    const lost = logs.filter((l) => l.text.startsWith("Lost "));
    assert.equal(lost.length, faults.length, lost.map((l) => l.text).join("\n"));
    for (const [i, [name, , reason]] of faults.entries()) {
      assert.match(lost[i]!.text.replace(/; not asked for again$/, ""), reason, name);
      assert.match(lost[i]!.text, /^Lost 5 BTC-USD trade\(s\), ids \d+-\d+: Coinbase REST BTC-USD/);
    }
    assert.ok(
      summary.includes(`Repaired from REST: 0 (lost: ${5 * faults.length})`),
      summary.join("\n"),
    );
    assert.ok(!logs.some((l) => l.level === "error"), logs.map((l) => l.text).join("\n"));
  } finally {
    await stub.close();
  }
});

Deno.test("tradeRepairer() reads only the newest ids of a gap longer than its most, and gives the older up at once, counted and told", async () => {
  const clock = new FakeClock(Date.UTC(2025, 10, 12, 10, 0, 0));
  const exchange = new FakeExchange(clock);
  exchange.add("BTC-USD", {
    firstId: 100,
    count: 101,
    startMs: clock.now() - 200_000,
    stepMs: 1000,
  });
  const rest = new CoinbaseRestClient(
    { baseUrl: "https://rest.example", timeoutMs: 1_000, maxRetries: 0, maxRetryAfterMs: 1_000 },
    { fetch: exchange.fetch, clock },
  );
  const sequences = new TradeSequences();
  sequences.accept("BTC-USD", 100);
  sequences.accept("BTC-USD", 200);
  const gaps = new Channel<TradeGap>(10);
  await gaps.send({ productId: "BTC-USD", from: 101, to: 199 });
  gaps.close();
  const published: number[] = [];
  let lost = 0;
  const logs = await captureLogs(async () => {
    await tradeRepairer({
      rest,
      sequences,
      report: { repaired: () => {}, lost: (count) => (lost += count) },
      clock,
      publish: (trades) => {
        published.push(...trades.map((t) => t.trade.trade_id));
        return Promise.resolve();
      },
      maxGap: 30,
    })(gaps, noOutbox, { name: "repairer", signal: AbortSignal.timeout(5_000), attempt: 0 });
  });
  assert.deepEqual(published, Array.from({ length: 30 }, (_, i) => 170 + i));
  assert.equal(lost, 69);
  assert.deepEqual(exchange.requests.map((r) => r.url.search), ["?limit=30&after=200"]);
  assert.deepEqual(logs.filter((l) => l.level === "warning").map((l) => l.text), [
    "Lost 69 BTC-USD trade(s), ids 101-169: a gap of more than 30 ids, of which the newest are read; not asked for again",
  ]);
});
