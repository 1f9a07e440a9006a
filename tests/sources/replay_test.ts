import assert from "node:assert/strict";
import { ProduceReport } from "../../report/produce_report.ts";
import type { PriceTick } from "../../market/price_tick.ts";
import { type EncodedPrice, encodePrice } from "../../market/messages/price_message.ts";
import { MessageIds } from "../../market/messages/message_ids.ts";
import { parseReplayLine, replaySource } from "../../sources/replay.ts";
import { replayFile, type ReplayFileState } from "../../sources/replay_file.ts";
import type { Outbox } from "../../runtime/channel.ts";
import { noInbox } from "../../runtime/actor.ts";
import { Channel } from "../../runtime/channel.ts";
import { FakeClock } from "../support/fake_clock.ts";
import { runCommand } from "../support/run.ts";

const LINES = [
  '{"symbol":"btc","coin_id":"bitcoin","price_usd":45000.5,"timestamp":"2025-11-12T10:30:45.123Z","volume_24h":7}',
  "not json",
  "",
  '{"symbol":"ETH","coin_id":"ethereum","price_usd":-1}',
  '{"symbol":"ETH","coin_id":"ethereum","price_usd":3100}',
];

async function* lines(): AsyncIterable<string> {
  yield* LINES;
}

Deno.test("parseReplayLine() keeps the recorded fetch time and says why a line is unusable", () => {
  const tick = parseReplayLine(LINES[0]!, 2, 99);
  assert.ok(typeof tick !== "string");
  assert.equal(tick.symbol, "BTC");
  assert.equal(tick.volume24h, 7);
  assert.equal(tick.marketCap, null);
  assert.equal(tick.fetchedAt, Date.parse("2025-11-12T10:30:45.123Z"));
  assert.equal(tick.cycle, 2);
  assert.equal(parseReplayLine("[]", 1, 0), "not a JSON object");
  assert.match(parseReplayLine(LINES[3]!, 1, 0) as string, /price_usd/);
  const stamped = parseReplayLine(LINES[4]!, 1, 1234);
  assert.ok(typeof stamped !== "string" && stamped.fetchedAt === 1234);
});

Deno.test("parseReplayLine() gives each refused line its reason, and reads unusable numbers as null", () => {
  const cases: [string, string][] = [
    ["{", "not JSON"],
    ["null", "not a JSON object"],
    ['{"coin_id":"bitcoin","price_usd":1}', "symbol is missing or not 1-15 letters and digits"],
    [
      '{"symbol":"B-C","coin_id":"bitcoin","price_usd":1}',
      "symbol is missing or not 1-15 letters and digits",
    ],
    ['{"symbol":"BTC","coin_id":"","price_usd":1}', "coin_id is missing"],
    ['{"symbol":"BTC","coin_id":7,"price_usd":1}', "coin_id is missing"],
    [
      '{"symbol":"BTC","coin_id":"bitcoin","price_usd":0}',
      "price_usd is not a finite positive number",
    ],
    [
      '{"symbol":"BTC","coin_id":"bitcoin","price_usd":"1"}',
      "price_usd is not a finite positive number",
    ],
    ['{"symbol":"BTC","coin_id":"bitcoin"}', "price_usd is not a finite positive number"],
  ];
  for (const [line, reason] of cases) assert.equal(parseReplayLine(line, 1, 0), reason, line);
  const tick = parseReplayLine(
    '{"symbol":"BTC","coin_id":"bitcoin","price_usd":1,"volume_24h":"7","market_cap":null,"price_change_24h":-2.5,"last_updated":true,"timestamp":"then"}',
    3,
    42,
  );
  assert.deepEqual(tick, {
    coinId: "bitcoin",
    symbol: "BTC",
    priceUsd: 1,
    volume24h: null,
    marketCap: null,
    change24h: -2.5,
    lastUpdated: null,
    fetchedAt: 42,
    cycle: 3,
  });
});

Deno.test("replaySource() sends every usable line once per pass and reports the others", async () => {
  const clock = new FakeClock();
  const report = new ProduceReport(() => {}, clock, { everyMessage: false });
  const out = new Channel<PriceTick>(100);
  const state = { pass: 1, line: 0 };
  await replaySource({ lines, passes: 2, report, state, clock })(noInbox, out, {
    name: "replay",
    signal: new AbortController().signal,
    attempt: 0,
  });
  out.close();
  const sent: string[] = [];
  for await (const tick of out) sent.push(`${tick.cycle}:${tick.symbol}`);
  assert.deepEqual(sent, ["1:BTC", "1:ETH", "2:BTC", "2:ETH"]);
  assert.equal(report.totals.skipped, 4);
});

Deno.test("replaySource() resumes after the last line it handled when re-run", async () => {
  const clock = new FakeClock();
  const report = new ProduceReport(() => {}, clock);
  const state = { pass: 1, line: 0 };
  let accepted = 0;
  const crashing = {
    send: () => {
      if (++accepted === 2) return Promise.reject(new Error("crash"));
      return Promise.resolve();
    },
  };
  const ctx = { name: "replay", signal: new AbortController().signal, attempt: 0 };
  await assert.rejects(
    replaySource({ lines, passes: 1, report, state, clock })(noInbox, crashing, ctx),
  );
  const out = new Channel<PriceTick>(100);
  await replaySource({ lines, passes: 1, report, state, clock })(noInbox, out, ctx);
  out.close();
  const sent: string[] = [];
  for await (const tick of out) sent.push(tick.symbol);
  assert.deepEqual(sent, ["ETH"]);
});

const ctx = () => ({ name: "replay", signal: new AbortController().signal, attempt: 0 });
const fresh = (): ReplayFileState => ({ pass: 1, line: 0, sent: 0, stamps: [], announced: 0 });
const text = (m: EncodedPrice) =>
  typeof m.value === "string" ? m.value : new TextDecoder().decode(m.value);

/** An outbox that keeps what it is given; `crashAt` makes that `sendAll` call throw first. */
function collector(crashAt = 0): Outbox<EncodedPrice> & { got: EncodedPrice[] } {
  let calls = 0;
  const got: EncodedPrice[] = [];
  return {
    got,
    send: (m) => {
      got.push(m);
      return Promise.resolve();
    },
    sendAll: (values) => {
      if (++calls === crashAt) return Promise.reject(new Error("crash"));
      got.push(...values);
      return Promise.resolve(values.length);
    },
  };
}

async function withRecording(lines: string[], fn: (path: string) => Promise<void>) {
  const path = await Deno.makeTempFile({ suffix: ".jsonl" });
  try {
    await Deno.writeTextFile(path, lines.join("\n") + "\n");
    await fn(path);
  } finally {
    await Deno.remove(path).catch(() => {});
  }
}

Deno.test("replayFile() encodes every usable line as the Encoder does, once per pass, and reports the rest", async () => {
  const printed: string[] = [];
  const clock = new FakeClock();
  const report = new ProduceReport((line) => printed.push(line), clock, { everyMessage: false });
  const lines = [
    ...LINES,
    '{"symbol":"ADA","coin_id":"cardano-ü","price_usd":0.5,"timestamp":"2025-11-12T10:30:46Z"}',
  ];
  await withRecording(lines, async (path) => {
    const out = collector();
    await replayFile({ path, passes: 2, report, state: fresh(), batchSize: 2 })(
      noInbox,
      out,
      ctx(),
    );
    // What the in-thread Encoder makes of the same lines, ids and all.
    const ids = new MessageIds();
    const expected = [1, 2].flatMap((pass) =>
      lines.map((line) => parseReplayLine(line, pass, 0)).filter((t) => typeof t !== "string")
        .map((tick) => encodePrice(tick, ids.next(tick.symbol, tick.fetchedAt)))
    ).filter((m) => m.timestamp !== 0);
    const got = out.got.filter((m) => m.key !== "ETH");
    assert.deepEqual(got.map(text), expected.map((m) => m.value));
    assert.deepEqual(
      got.map((m) => [m.key, m.timestamp, m.tick]),
      expected.map((
        m,
      ) => [m.key, m.timestamp, {
        symbol: m.tick.symbol,
        priceUsd: m.tick.priceUsd,
        cycle: m.tick.cycle,
      }]),
    );
    assert.deepEqual(out.got.map((m) => `${m.tick.cycle}:${m.key}`), [
      "1:BTC",
      "1:ETH",
      "1:ADA",
      "2:BTC",
      "2:ETH",
      "2:ADA",
    ]);
    assert.equal(new Set(out.got.map((m) => JSON.parse(text(m)).message_id)).size, 6);
    assert.deepEqual(out.got[1]!.headers, {
      "content-type": "application/json",
      schema: "crypto-price/v1",
    });
  });
  assert.equal(report.totals.skipped, 4);
  assert.equal(report.totals.fetched, 6);
  assert.equal(report.totals.iterations, 2);
  assert.deepEqual(printed.filter((l) => l.startsWith("---")), [
    "--- Iteration 1 ---",
    "--- Iteration 2 ---",
  ]);
});

Deno.test("replayFile() restarted after a crash carries on after the last batch it handed on", async () => {
  const lines = Array.from(
    { length: 25 },
    (_, i) =>
      JSON.stringify({
        symbol: "BTC",
        coin_id: "bitcoin",
        price_usd: 100 + i,
        timestamp: "2025-11-12T10:30:45.000Z",
      }),
  );
  await withRecording(lines, async (path) => {
    const report = new ProduceReport(() => {}, new FakeClock(), { everyMessage: false });
    const state = fresh();
    const options = { path, passes: 3, report, state, batchSize: 4 };
    const first = collector(9);
    await assert.rejects(replayFile(options)(noInbox, first, ctx()), /crash/);
    assert.ok(
      state.pass === 2 && state.line === 4,
      `stopped at pass ${state.pass} line ${state.line}`,
    );
    const second = collector();
    await replayFile(options)(noInbox, second, ctx());
    const all = [...first.got, ...second.got];
    assert.deepEqual(
      all.map((m) => `${m.tick.cycle}:${m.tick.priceUsd}`),
      [1, 2, 3].flatMap((pass) => lines.map((_, i) => `${pass}:${100 + i}`)),
    );
    // Same fetch time for every line: the ids still never repeat, across the restart too.
    assert.equal(new Set(all.map((m) => JSON.parse(text(m)).message_id)).size, 75);
  });
});

Deno.test("replayFile() fails with the reason when the recording cannot be read, and resumes once it can", async () => {
  await withRecording([LINES[0]!], async (path) => {
    const report = new ProduceReport(() => {}, new FakeClock(), { everyMessage: false });
    const state = fresh();
    const moved = `${path}.moved`;
    await Deno.rename(path, moved);
    const out = collector();
    await assert.rejects(
      replayFile({ path, passes: 1, report, state })(noInbox, out, ctx()),
      (error: Error) =>
        error.message.startsWith(`Replay of ${path} failed: `) &&
        /No such file/.test(error.message),
    );
    await Deno.rename(moved, path);
    await replayFile({ path, passes: 1, report, state })(noInbox, out, ctx());
    assert.deepEqual(out.got.map((m) => m.key), ["BTC"]);
  });
});

Deno.test("start --source replay:FILE publishes and prints every usable recorded price", async () => {
  const file = await Deno.makeTempFile({ suffix: ".jsonl" });
  try {
    await Deno.writeTextFile(file, LINES.join("\n") + "\n");
    const run = await runCommand("start", {
      args: ["--source", `replay:${file}`, "--iterations", "3", "--format", "json"],
    });
    assert.equal(run.code, 0, run.stderr);
    const printed = run.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) =>
      JSON.parse(l)
    );
    // Both symbols hash to partition 1, so the printed order is the replayed order.
    assert.deepEqual(printed.map((m) => m.symbol), ["BTC", "ETH", "BTC", "ETH", "BTC", "ETH"]);
    assert.equal(printed.length, 6);
    assert.equal(new Set(printed.map((m) => m.message_id)).size, 6);
    assert.match(run.stderr, /line 2: not JSON/);
  } finally {
    await Deno.remove(file);
  }
});
