import assert from "node:assert/strict";
import {
  type CandleCounters,
  memoryLogLag,
  type PriceSourceCounters,
  serveSnapshot,
  sourceReadiness,
  type StartCounters,
  startSnapshot,
  type TradeSourceCounters,
} from "../../http/pipeline_counters.ts";
import { NO_PIPELINE, PipelineRates } from "../../http/pipeline_snapshot.ts";

const prices = (
  totals: Partial<PriceSourceCounters["report"]["totals"]> = {},
  lastFetch: PriceSourceCounters["report"]["lastFetch"] = null,
  cyclesOk = 0,
): PriceSourceCounters => ({
  kind: "prices",
  report: {
    totals: {
      iterations: 0,
      fetched: 0,
      produced: 0,
      errors: 0,
      skipped: 0,
      failed: 0,
      dropped: 0,
      ...totals,
    },
    lastFetch,
    cyclesOk,
  },
  buffer: { size: 7, capacity: 10_000 },
});

const trades = (
  totals: Partial<TradeSourceCounters["report"]["totals"]> = {},
  feed: TradeSourceCounters["report"]["feed"] = { connected: false, at: null, detail: null },
): TradeSourceCounters => ({
  kind: "trades",
  report: {
    totals: {
      connections: 0,
      disconnects: 0,
      published: 0,
      malformed: 0,
      feedErrors: 0,
      produced: 0,
      failed: 0,
      dropped: 0,
      ...totals,
    },
    feed,
  },
  buffer: { size: 2, capacity: 10_000 },
});

const candles = (alerts: boolean): CandleCounters => ({
  report: { read: 40, bad: 1, writes: 12, storeErrors: 2 },
  records: { size: 3, capacity: 8_192 },
  batches: { size: 1, capacity: 4 },
  book: { counts: { closed: 9, revisions: 4, late: 5 } },
  alertReport: alerts ? { examined: 13, storeErrors: 1 } : null,
});

const counters = (overrides: Partial<StartCounters>): StartCounters => ({
  transport: "memory",
  restarts: {},
  bufferCapacity: 500,
  source: prices(),
  printer: null,
  candles: null,
  lag: [],
  ...overrides,
});

Deno.test("startSnapshot() lists the price pipeline's stages in order, with their counts, inboxes and restarts", () => {
  const snapshot = startSnapshot(counters({
    transport: "kafka",
    restarts: { fetcher: 1, publisher: 2, printer: 3, aggregator: 4, "candle-sink": 5, encoder: 9 },
    source: prices(
      { iterations: 6, fetched: 20, produced: 18, errors: 5, skipped: 1, failed: 1, dropped: 1 },
      { at: 1_000, outcome: "partial", detail: "1 coin skipped" },
      4,
    ),
    printer: { tracker: { handled: 17 }, report: { bad: 2 }, records: { size: 4, capacity: 256 } },
    candles: candles(true),
    lag: [{ topic: "crypto-prices", group: "g", partition: 0, lag: 3 }],
  }));
  assert.deepEqual(snapshot, {
    transport: "kafka",
    stages: [
      { name: "fetcher", messages: 20, errors: 3, restarts: 1, depth: null, capacity: null },
      { name: "publisher", messages: 18, errors: 2, restarts: 2, depth: 7, capacity: 10_000 },
      { name: "printer", messages: 17, errors: 2, restarts: 3, depth: 4, capacity: 256 },
      { name: "aggregator", messages: 40, errors: 1, restarts: 4, depth: 3, capacity: 8_192 },
      { name: "candle-sink", messages: 12, errors: 2, restarts: 5, depth: 1, capacity: 4 },
      { name: "alerter", messages: 13, errors: 1, restarts: 0, depth: null, capacity: null },
    ],
    fetch: { ok: 4, failed: 2, last: { at: 1_000, outcome: "partial", detail: "1 coin skipped" } },
    produced: 18,
    consumed: 17,
    bad: 2,
    buffer: { depth: 7, capacity: 500, dropped: 1 },
    candles: { closed: 9, revisions: 4, late: 5, storeWrites: 12, storeErrors: 2 },
    lag: [{ topic: "crypto-prices", group: "g", partition: 0, lag: 3 }],
  });
});

Deno.test("startSnapshot() adds up the restarts of every actor named after a stage", () => {
  const snapshot = startSnapshot(counters({ restarts: { publisher: 1, "publisher-2": 2 } }));
  assert.equal(snapshot.stages.find((s) => s.name === "publisher")?.restarts, 3);
});

Deno.test("startSnapshot() counts the fetch cycles that ended without failing as ok, never a failed one", () => {
  const failed = startSnapshot(counters({
    source: prices(
      { iterations: 3, errors: 2 },
      { at: 5, outcome: "error", detail: "HTTP 500" },
      1,
    ),
  }));
  assert.deepEqual(failed.fetch, {
    ok: 1,
    failed: 2,
    last: { at: 5, outcome: "error", detail: "HTTP 500" },
  });
  const none = startSnapshot(counters({ source: prices({ iterations: 0 }) }));
  assert.deepEqual(none.fetch, { ok: 0, failed: 0, last: null });
});

Deno.test("startSnapshot() shows the trade feed's connections as the fetches, and its trades as the first stage", () => {
  const totals = {
    connections: 3,
    disconnects: 2,
    published: 90,
    malformed: 1,
    feedErrors: 2,
    produced: 88,
    failed: 1,
    dropped: 1,
  };
  const snapshot = startSnapshot(counters({
    restarts: { trades: 1 },
    source: trades(totals, { connected: false, at: 4_000, detail: "closed" }),
    candles: candles(false),
  }));
  assert.deepEqual(snapshot.stages.map((s) => [s.name, s.messages, s.errors, s.restarts]), [
    ["trades", 90, 3, 1],
    ["publisher", 88, 2, 0],
    ["aggregator", 40, 1, 0],
    ["candle-sink", 12, 2, 0],
  ]);
  assert.deepEqual(snapshot.fetch, {
    ok: 3,
    failed: 2,
    last: { at: 4_000, outcome: "error", detail: "closed" },
  });
  assert.equal(snapshot.produced, 88);
  assert.equal(snapshot.consumed, 40, "the aggregator's reads, with no printer");
  assert.equal(snapshot.bad, 1);
  assert.deepEqual(snapshot.buffer, { depth: 2, capacity: 500, dropped: 1 });
  const connected = startSnapshot(counters({
    source: trades({}, { connected: true, at: 9, detail: null }),
  }));
  assert.deepEqual(connected.fetch?.last, { at: 9, outcome: "ok", detail: null });
  assert.equal(startSnapshot(counters({ source: trades() })).fetch?.last, null);
});

Deno.test("startSnapshot() shows the repairer beside the trade source: trades repaired, ids lost, gaps waiting", () => {
  const snapshot = startSnapshot(counters({
    restarts: { repairer: 1 },
    source: {
      ...trades({ published: 90, repaired: 12, lost: 3 }),
      gaps: { size: 2, capacity: 1_000 },
    },
  }));
  assert.deepEqual(
    snapshot.stages.slice(0, 3).map((s) => [s.name, s.messages, s.errors, s.restarts, s.depth]),
    [["trades", 90, 0, 0, null], ["repairer", 12, 3, 1, 2], ["publisher", 0, 0, 0, 2]],
  );
});

Deno.test("startSnapshot() counts nothing consumed when neither printer nor candles run", () => {
  const snapshot = startSnapshot(counters({}));
  assert.equal(snapshot.consumed, 0);
  assert.equal(snapshot.bad, 0);
  assert.equal(snapshot.candles, null);
  assert.deepEqual(snapshot.stages.map((s) => s.name), ["fetcher", "publisher"]);
});

Deno.test("sourceReadiness() is ready unless the last fetch failed or the trade feed is not connected", async () => {
  await sourceReadiness(prices());
  await sourceReadiness(prices({}, { at: 1, outcome: "partial", detail: "1 coin skipped" }));
  await assert.rejects(
    sourceReadiness(prices({}, { at: 1, outcome: "error", detail: "HTTP 429" })),
    { message: "the last fetch failed: HTTP 429" },
  );
  await sourceReadiness(trades({}, { connected: true, at: 1, detail: null }));
  await assert.rejects(sourceReadiness(trades()), {
    message: "the Coinbase feed is not connected",
  });
  await assert.rejects(
    sourceReadiness(trades({}, { connected: false, at: 1, detail: "no answer" })),
    { message: "the Coinbase feed is not connected: no answer" },
  );
});

Deno.test("memoryLogLag() gives each group's lag per partition, groups in order, each named with what reads through it", () => {
  const lags: Record<string, { partition: number; lag: number }[]> = {
    printer: [{ partition: 0, lag: 1 }, { partition: 1, lag: 0 }],
    "crypto-candles": [{ partition: 0, lag: 5 }],
  };
  const asked: string[] = [];
  const log = {
    lag: (group: string, topic: string) => (asked.push(`${group}/${topic}`), lags[group] ?? []),
  };
  const groups = [
    { group: "printer", consumer: "printer" },
    { group: "crypto-candles", consumer: "candles" },
  ];
  assert.deepEqual(memoryLogLag(log, groups, "prices"), [
    { topic: "prices", group: "printer", consumer: "printer", partition: 0, lag: 1 },
    { topic: "prices", group: "printer", consumer: "printer", partition: 1, lag: 0 },
    { topic: "prices", group: "crypto-candles", consumer: "candles", partition: 0, lag: 5 },
  ]);
  assert.deepEqual(asked, ["printer/prices", "crypto-candles/prices"]);
});

Deno.test("serveSnapshot() is an empty Kafka pipeline with the candle group's lag", () => {
  const lag = [{ topic: "crypto-prices", group: "crypto-candles", partition: 2, lag: 8 }];
  assert.deepEqual(serveSnapshot(lag), { ...NO_PIPELINE, transport: "kafka", lag });
});

Deno.test("PipelineRates: the counters sampled in the background give a first view its rates over the last seconds", () => {
  const rates = new PipelineRates();
  const at = (produced: number) => ({
    ...NO_PIPELINE,
    produced,
    consumed: produced,
  });
  assert.equal(rates.view(at(0), 0).produced_per_s, 0, "nothing to compare with yet");
  const sampled = new PipelineRates();
  for (let s = 0; s <= 5; s++) sampled.sample(at(2 * s), s * 1000);
  const view = sampled.view(at(12), 6_000);
  assert.equal(view.produced_per_s, 2);
  assert.equal(view.consumed_per_s, 2);
  // Over the last 10 s only: a burst long ago does not count.
  const old = new PipelineRates();
  old.sample(at(0), 0);
  old.sample(at(1_000), 1_000);
  for (let s = 2; s <= 20; s++) old.sample(at(1_000 + (s - 1)), s * 1000);
  assert.equal(old.view(at(1_020), 21_000).produced_per_s, 1);
});
