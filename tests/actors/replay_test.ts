import assert from "node:assert/strict";
import { ProduceReport } from "../../actors/produce_report.ts";
import type { PriceTick } from "../../actors/price.ts";
import { parseReplayLine, replaySource } from "../../actors/replay.ts";
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
