import assert from "node:assert/strict";
import { CoinGeckoError, type FetchOutcome } from "../../sources/coingecko.ts";
import { fetcher, type FetcherState } from "../../actors/fetcher.ts";
import type { PriceTick } from "../../market/price_tick.ts";
import type { SkippedCoin } from "../../market/skipped_coin.ts";
import { ProduceReport } from "../../report/produce_report.ts";
import type { Coin } from "../../config/types.ts";
import { type ActorContext, noInbox } from "../../runtime/actor.ts";
import { Channel } from "../../runtime/channel.ts";
import { FakeClock } from "../support/fake_clock.ts";
import { captureLogs } from "../support/logs.ts";

const COINS: readonly Coin[] = [
  { id: "bitcoin", symbol: "BTC" },
  { id: "ethereum", symbol: "ETH" },
];
const INTERVAL_MS = 10_000;
const ETH_MISSING: SkippedCoin = {
  coinId: "ethereum",
  symbol: "ETH",
  missing: true,
  reason: "ethereum (ETH) is missing from the CoinGecko response",
};

/** What the fake client does in a cycle: an answer, or an error to throw. */
type Script = (cycle: number, call: number) => FetchOutcome | Error;

function tick(coin: Coin, cycle: number, lastUpdated: number | null, fetchedAt = 0): PriceTick {
  return {
    coinId: coin.id,
    symbol: coin.symbol,
    priceUsd: coin.symbol === "BTC" ? 45234.56 + cycle : 3198.23 + cycle,
    volume24h: null,
    marketCap: null,
    change24h: null,
    lastUpdated,
    fetchedAt,
    cycle,
  };
}

/** Every coin, with `last_updated` that never moves. */
const steady: Script = (cycle) => ({
  ticks: COINS.map((coin) => tick(coin, cycle, 1_699_876_543)),
  skipped: [],
});

/** A CoinGecko client without HTTP: answers from `script`, optionally taking `takesMs` of virtual time. */
class FakeClient {
  readonly calls: { coins: readonly Coin[]; cycle: number }[] = [];
  #script: Script;
  #clock: FakeClock;
  #takesMs: number;

  constructor(script: Script, clock: FakeClock, takesMs = 0) {
    this.#script = script;
    this.#clock = clock;
    this.#takesMs = takesMs;
  }

  async fetchPrices(
    coins: readonly Coin[],
    cycle: number,
    options: { signal?: AbortSignal },
  ): Promise<FetchOutcome> {
    this.calls.push({ coins, cycle });
    if (this.#takesMs > 0) await this.#clock.sleep(this.#takesMs, options);
    const answer = this.#script(cycle, this.calls.length);
    if (answer instanceof Error) throw answer;
    return answer;
  }
}

interface Setup {
  clock: FakeClock;
  client: FakeClient;
  outbox: Channel<PriceTick>;
  lines: string[];
  report: ProduceReport;
  state: FetcherState;
}

function setup(script: Script, takesMs = 0): Setup {
  const clock = new FakeClock(1_700_000_000_000);
  const lines: string[] = [];
  return {
    clock,
    client: new FakeClient(script, clock, takesMs),
    outbox: new Channel<PriceTick>(1_000, { name: "ticks" }),
    lines,
    report: new ProduceReport((line) => lines.push(line), clock),
    state: { cycle: 0, lastUpdated: new Map() },
  };
}

function context(signal = new AbortController().signal, attempt = 0): ActorContext {
  return { name: "fetcher", signal, attempt };
}

/** Everything the actor sent, in order. */
async function drain(channel: Channel<PriceTick>): Promise<PriceTick[]> {
  channel.close();
  const out: PriceTick[] = [];
  for await (const value of channel) out.push(value);
  return out;
}

const sent = (ticks: PriceTick[]) => ticks.map((t) => `${t.cycle}:${t.symbol}`);

Deno.test("fetcher() with iterations: 3 fetches three times, sends every tick in order and returns", async () => {
  const s = setup(steady);
  const actor = fetcher({
    client: s.client,
    coins: COINS,
    intervalMs: INTERVAL_MS,
    iterations: 3,
    onlyChanged: false,
    state: s.state,
    report: s.report,
    clock: s.clock,
  });

  await actor(noInbox, s.outbox, context());

  assert.deepEqual(s.client.calls.map((c) => c.cycle), [1, 2, 3]);
  assert.ok(s.client.calls.every((c) => c.coins === COINS), "all coins in every call");
  assert.deepEqual(sent(await drain(s.outbox)), [
    "1:BTC",
    "1:ETH",
    "2:BTC",
    "2:ETH",
    "3:BTC",
    "3:ETH",
  ]);
  assert.equal(s.state.cycle, 3);
  assert.equal(s.report.totals.iterations, 3);
  assert.equal(s.report.totals.fetched, 6);
  assert.deepEqual(s.clock.sleeps, [INTERVAL_MS, INTERVAL_MS], "no wait after the last cycle");
  assert.deepEqual(
    s.lines.filter((l) => l.startsWith("---")),
    ["--- Iteration 1 ---", "--- Iteration 2 ---", "--- Iteration 3 ---"],
  );
});

Deno.test("fetcher() with onlyChanged skips a coin whose last_updated did not move", async () => {
  const updates: Record<string, (number | null)[]> = {
    BTC: [100, 100, 101, 101],
    ETH: [null, null, 200, 201],
  };
  const s = setup((cycle) => ({
    ticks: COINS.map((coin) => tick(coin, cycle, updates[coin.symbol]![cycle - 1]!)),
    skipped: [],
  }));
  const actor = fetcher({
    client: s.client,
    coins: COINS,
    intervalMs: INTERVAL_MS,
    iterations: 4,
    onlyChanged: true,
    state: s.state,
    report: s.report,
    clock: s.clock,
  });

  await actor(noInbox, s.outbox, context());

  // ETH without a last_updated cannot be compared, so it always goes out.
  assert.deepEqual(sent(await drain(s.outbox)), [
    "1:BTC",
    "1:ETH",
    "2:ETH",
    "3:BTC",
    "3:ETH",
    "4:ETH",
  ]);
  assert.equal(s.report.totals.unchanged, 2);
  assert.equal(s.report.totals.fetched, 6);
});

Deno.test("fetcher() without onlyChanged sends a coin even when its last_updated did not move", async () => {
  const s = setup(steady);
  const actor = fetcher({
    client: s.client,
    coins: COINS,
    intervalMs: INTERVAL_MS,
    iterations: 2,
    onlyChanged: false,
    state: s.state,
    report: s.report,
    clock: s.clock,
  });

  await actor(noInbox, s.outbox, context());

  assert.equal((await drain(s.outbox)).length, 4);
  assert.equal(s.report.totals.unchanged, 0);
});

Deno.test("fetcher() counts a CoinGeckoError as a failed iteration and runs the next cycle", async () => {
  const s = setup((cycle) =>
    cycle === 2
      ? new CoinGeckoError("CoinGecko request failed after 4 attempts: HTTP 500", { status: 500 })
      : steady(cycle, cycle)
  );
  const actor = fetcher({
    client: s.client,
    coins: COINS,
    intervalMs: INTERVAL_MS,
    iterations: 3,
    onlyChanged: false,
    state: s.state,
    report: s.report,
    clock: s.clock,
  });

  await actor(noInbox, s.outbox, context());

  assert.deepEqual(s.client.calls.map((c) => c.cycle), [1, 2, 3]);
  assert.deepEqual(sent(await drain(s.outbox)), ["1:BTC", "1:ETH", "3:BTC", "3:ETH"]);
  assert.equal(s.report.totals.errors, 1);
  assert.equal(s.report.totals.iterations, 3);
  const failed = s.lines.indexOf("Iteration 2 failed after 0.00s");
  assert.ok(failed > s.lines.indexOf("--- Iteration 2 ---"), s.lines.join("\n"));
  assert.equal(s.lines[failed + 1], "Total messages produced: 0, Errors: 1");
  assert.equal(s.lines[failed + 2], "Waiting 10.00s until next fetch...");
});

Deno.test("fetcher() reports skipped coins as errors and still sends the others", async () => {
  const s = setup((cycle) => ({
    ticks: [tick(COINS[0]!, cycle, 1)],
    skipped: [ETH_MISSING],
  }));
  const actor = fetcher({
    client: s.client,
    coins: COINS,
    intervalMs: INTERVAL_MS,
    iterations: 1,
    onlyChanged: false,
    state: s.state,
    report: s.report,
    clock: s.clock,
  });

  await actor(noInbox, s.outbox, context());

  assert.deepEqual(sent(await drain(s.outbox)), ["1:BTC"]);
  assert.equal(s.report.totals.skipped, 1);
  assert.equal(s.report.totals.errors, 1);
});

Deno.test("fetcher() lets an error that is not a CoinGeckoError crash the actor", async () => {
  const bug = new TypeError("cannot read properties of undefined");
  const s = setup((cycle) => (cycle === 2 ? bug : steady(cycle, cycle)));
  const actor = fetcher({
    client: s.client,
    coins: COINS,
    intervalMs: INTERVAL_MS,
    iterations: 3,
    onlyChanged: false,
    state: s.state,
    report: s.report,
    clock: s.clock,
  });

  await assert.rejects(actor(noInbox, s.outbox, context()), (error) => error === bug);
  assert.deepEqual(s.client.calls.map((c) => c.cycle), [1, 2]);
  // The crashed iteration still closes, as failed, and counts as an error.
  assert.ok(
    s.lines.some((l) => /^Iteration 2 failed after \d+\.\d\ds$/.test(l)),
    s.lines.join("\n"),
  );
  assert.equal(s.report.totals.errors, 1);
});

Deno.test("fetcher() continues the cycle numbering when re-run with the same state", async () => {
  const s = setup((cycle, call) => (call === 2 ? new TypeError("crash") : steady(cycle, call)));
  const actor = fetcher({
    client: s.client,
    coins: COINS,
    intervalMs: INTERVAL_MS,
    iterations: 4,
    onlyChanged: false,
    state: s.state,
    report: s.report,
    clock: s.clock,
  });

  await assert.rejects(actor(noInbox, s.outbox, context()), TypeError);
  await actor(noInbox, s.outbox, context(new AbortController().signal, 1));

  assert.deepEqual(s.client.calls.map((c) => c.cycle), [1, 2, 3, 4]);
  assert.deepEqual(sent(await drain(s.outbox)), [
    "1:BTC",
    "1:ETH",
    "3:BTC",
    "3:ETH",
    "4:BTC",
    "4:ETH",
  ]);
  assert.equal(s.lines.filter((l) => l === "--- Iteration 1 ---").length, 1);
  assert.equal(s.state.cycle, 4);
});

Deno.test("fetcher() with onlyChanged remembers last_updated across a re-run", async () => {
  const s = setup((cycle, call) => (call === 2 ? new TypeError("crash") : steady(cycle, call)));
  const options = {
    client: s.client,
    coins: COINS,
    intervalMs: INTERVAL_MS,
    iterations: 3,
    onlyChanged: true,
    state: s.state,
    report: s.report,
    clock: s.clock,
  };

  await assert.rejects(fetcher(options)(noInbox, s.outbox, context()), TypeError);
  await fetcher(options)(noInbox, s.outbox, context(new AbortController().signal, 1));

  assert.deepEqual(sent(await drain(s.outbox)), ["1:BTC", "1:ETH"]);
  assert.equal(s.report.totals.unchanged, 2);
});

Deno.test("fetcher() waits the interval minus the time the fetch took", async () => {
  const s = setup(steady, 1_500);
  const actor = fetcher({
    client: s.client,
    coins: COINS,
    intervalMs: INTERVAL_MS,
    iterations: 3,
    onlyChanged: false,
    state: s.state,
    report: s.report,
    clock: s.clock,
  });

  await actor(noInbox, s.outbox, context());

  // Each fetch takes 1.5 s of virtual time; the wait after it is the rest of the interval.
  assert.deepEqual(s.clock.sleeps, [1_500, 8_500, 1_500, 8_500, 1_500]);
  assert.equal(s.clock.now() - 1_700_000_000_000, 2 * INTERVAL_MS + 1_500);
});

Deno.test("fetcher() starts the next fetch at once when a fetch took longer than the interval", async () => {
  const s = setup(steady, 12_000);
  const actor = fetcher({
    client: s.client,
    coins: COINS,
    intervalMs: INTERVAL_MS,
    iterations: 3,
    onlyChanged: false,
    state: s.state,
    report: s.report,
    clock: s.clock,
  });

  await actor(noInbox, s.outbox, context());

  assert.deepEqual(s.clock.sleeps, [12_000, 12_000, 12_000]);
  assert.equal(s.client.calls.length, 3);
});

Deno.test("fetcher() without iterations runs until its signal aborts", async () => {
  const controller = new AbortController();
  const reason = new Error("stop");
  const s = setup((cycle) => {
    if (cycle === 5) controller.abort(reason);
    return steady(cycle, cycle);
  });
  const actor = fetcher({
    client: s.client,
    coins: COINS,
    intervalMs: INTERVAL_MS,
    iterations: null,
    onlyChanged: false,
    state: s.state,
    report: s.report,
    clock: s.clock,
  });

  await assert.rejects(actor(noInbox, s.outbox, context(controller.signal)), (e) => e === reason);

  assert.equal(s.client.calls.length, 5);
  assert.equal((await drain(s.outbox)).length, 10);
});

Deno.test("fetcher() does not count a fetch aborted by its signal as a failed iteration", async () => {
  const controller = new AbortController();
  const reason = new CoinGeckoError("aborted while retrying", { status: null });
  const s = setup(() => {
    controller.abort(reason);
    return reason;
  });
  const actor = fetcher({
    client: s.client,
    coins: COINS,
    intervalMs: INTERVAL_MS,
    iterations: 3,
    onlyChanged: false,
    state: s.state,
    report: s.report,
    clock: s.clock,
  });

  await assert.rejects(actor(noInbox, s.outbox, context(controller.signal)), (e) => e === reason);

  assert.equal(s.client.calls.length, 1);
  assert.equal(s.report.totals.errors, 0);
});

Deno.test("fetcher() with onlyChanged does not take a price lost in a failed send as published", async () => {
  const s = setup(steady);
  const options = {
    client: s.client,
    coins: COINS,
    intervalMs: INTERVAL_MS,
    iterations: 1,
    onlyChanged: true,
    state: s.state,
    report: s.report,
    clock: s.clock,
  };
  let refused = false;
  const failingOnce = {
    send: (value: PriceTick) => {
      if (!refused) {
        refused = true;
        return Promise.reject(new Error("send failed"));
      }
      return s.outbox.send(value);
    },
  };
  await assert.rejects(fetcher(options)(noInbox, failingOnce, context()), /send failed/);
  s.state.cycle = 0; // the same answer again, as after a restart within one cycle
  await fetcher(options)(noInbox, failingOnce, context(new AbortController().signal, 1));
  assert.deepEqual(sent(await drain(s.outbox)), ["1:BTC", "1:ETH"]);
});

Deno.test("fetcher() logs a coin missing from every answer once, then at most every 10 minutes with its count", async () => {
  const s = setup((cycle) => ({
    ticks: [tick(COINS[0]!, cycle, cycle)],
    skipped: [ETH_MISSING],
  }));
  const actor = fetcher({
    client: s.client,
    coins: COINS,
    intervalMs: INTERVAL_MS,
    iterations: 130,
    onlyChanged: false,
    state: s.state,
    report: s.report,
    clock: s.clock,
  });

  const logs = await captureLogs(() => actor(noInbox, s.outbox, context()));

  // Cycle n starts (n - 1) * 10 s in: 1 is the first, 61 ten minutes on, 121 ten more.
  const missing = logs.filter((l) => l.text.includes("ethereum (ETH) is missing"));
  assert.deepEqual(missing.map((l) => /^Iteration (\d+):/.exec(l.text)?.[1]), ["1", "61", "121"]);
  assert.ok(missing.every((l) => l.level === "warning"));
  assert.match(missing[1]!.text, /missing in 61 cycles since iteration 1\b/);
  assert.match(missing[2]!.text, /missing in 121 cycles since iteration 1\b/);
  assert.equal(s.report.totals.skipped, 130);
});

Deno.test("fetcher() logs a missing coin that came back and went missing again at once, counting afresh", async () => {
  const s = setup((cycle) => {
    const back = cycle === 3;
    return {
      ticks: COINS.filter((c) => back || c.symbol === "BTC").map((c) => tick(c, cycle, cycle)),
      skipped: back ? [] : [ETH_MISSING],
    };
  });
  const actor = fetcher({
    client: s.client,
    coins: COINS,
    intervalMs: INTERVAL_MS,
    iterations: 5,
    onlyChanged: false,
    state: s.state,
    report: s.report,
    clock: s.clock,
  });

  const logs = await captureLogs(() => actor(noInbox, s.outbox, context()));

  const missing = logs.filter((l) => l.text.includes("ethereum (ETH) is missing"));
  assert.deepEqual(missing.map((l) => /^Iteration (\d+):/.exec(l.text)?.[1]), ["1", "4"]);
  assert.match(missing[1]!.text, /CRYPTO_COINS/);
  assert.equal(s.report.totals.skipped, 4);
});

Deno.test("fetcher() logs a coin without a usable price on every cycle", async () => {
  const s = setup((cycle) => ({
    ticks: [tick(COINS[0]!, cycle, cycle)],
    skipped: [{ ...ETH_MISSING, missing: false, reason: "ethereum (ETH) has no usable price" }],
  }));
  const actor = fetcher({
    client: s.client,
    coins: COINS,
    intervalMs: INTERVAL_MS,
    iterations: 3,
    onlyChanged: false,
    state: s.state,
    report: s.report,
    clock: s.clock,
  });

  const logs = await captureLogs(() => actor(noInbox, s.outbox, context()));

  assert.equal(logs.filter((l) => l.text.includes("no usable price")).length, 3);
});
