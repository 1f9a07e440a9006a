import assert from "node:assert/strict";
import { CoinbaseRestClient, CoinbaseRestError } from "../../sources/coinbase_rest.ts";
import { tradeRange } from "../../sources/trade_range.ts";
import { FakeClock } from "../support/fake_clock.ts";
import { FakeExchange } from "../support/fake_exchange.ts";

const START = Date.UTC(2025, 10, 12, 10, 0, 0);

/** A client on a fake clock against a fake exchange of 5,000 BTC-USD trades, ids 10000-14999. */
function setup() {
  const clock = new FakeClock(START);
  const exchange = new FakeExchange(clock);
  exchange.add("BTC-USD", {
    firstId: 10_000,
    count: 5000,
    startMs: START - 5_000_000,
    stepMs: 1000,
  });
  const client = new CoinbaseRestClient(
    { baseUrl: "https://rest.example", timeoutMs: 1000, maxRetries: 3, maxRetryAfterMs: 10_000 },
    { fetch: exchange.fetch, clock, random: () => 0 },
  );
  return { exchange, client };
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

Deno.test("tradeRange() pages back from the id after the range, following cb-after, and gives the range in trade id order", async () => {
  const { exchange, client } = setup();
  const { trades, missing, pages } = await tradeRange(client, "BTC-USD", {
    from: 11_000,
    to: 13_499,
  });
  assert.deepEqual(trades.map((t) => t.tradeId), range(11_000, 13_499));
  assert.equal(missing, null);
  assert.equal(pages, 3);
  assert.deepEqual(exchange.requests.map((r) => r.url.search), [
    "?limit=1000&after=13500",
    "?limit=1000&after=12500",
    "?limit=500&after=11500",
  ]);
});

Deno.test("tradeRange() asks for no more trades than a small gap holds", async () => {
  const { exchange, client } = setup();
  const { trades } = await tradeRange(client, "BTC-USD", { from: 14_000, to: 14_002 });
  assert.deepEqual(trades.map((t) => t.tradeId), [14_000, 14_001, 14_002]);
  assert.deepEqual(exchange.requests.map((r) => r.url.search), ["?limit=3&after=14003"]);
});

Deno.test("tradeRange() counts the ids older than REST keeps as missing, with the reason, after one empty page", async () => {
  const { exchange, client } = setup();
  exchange.oldest = 12_000;
  const { trades, missing } = await tradeRange(client, "BTC-USD", { from: 11_990, to: 12_009 });
  assert.deepEqual(trades.map((t) => t.tradeId), range(12_000, 12_009));
  assert.deepEqual(missing, {
    count: 10,
    reason: "older than Coinbase's REST API keeps (nothing below 12000)",
  });
  assert.equal(exchange.requests.length, 2);
});

Deno.test("tradeRange() counts ids REST skips as missing, not served", async () => {
  const { exchange, client } = setup();
  const list = exchange.trades.get("BTC-USD")!;
  exchange.trades.set("BTC-USD", list.filter((t) => t.trade_id !== 12_005));
  const { trades, missing } = await tradeRange(client, "BTC-USD", { from: 12_000, to: 12_009 });
  assert.equal(trades.length, 9);
  assert.deepEqual(missing, { count: 1, reason: "not served by Coinbase's REST API" });
});

Deno.test("tradeRange() ends a chain of pages that repeats its cursor with a bad answer, not a loop", async () => {
  const { exchange, client } = setup();
  const page = (ids: number[]) =>
    ids.map((id) => ({
      time: "2025-11-12T09:00:00.000Z",
      trade_id: id,
      price: "1",
      size: "1",
      side: "buy",
    }));
  exchange.script.push({ body: page([12_009, 12_008]), headers: { "cb-after": "12010" } });
  await assert.rejects(
    tradeRange(client, "BTC-USD", { from: 12_000, to: 12_009 }),
    (error) =>
      error instanceof CoinbaseRestError && error.failure === "bad-answer" &&
      /after 12010: the page repeats the cursor \(cb-after 12010\)$/.test(error.message),
  );
  assert.equal(exchange.requests.length, 1);
});

Deno.test("tradeRange() ends an endless chain of pages with a bad answer after the pages the range can take", async () => {
  const { exchange, client } = setup();
  // Each page one trade further down, cursor one below it: never the range's start.
  for (let id = 12_999; id > 12_900; id--) {
    exchange.script.push({
      body: [{
        time: "2025-11-12T09:00:00.000Z",
        trade_id: id,
        price: "1",
        size: "1",
        side: "buy",
      }],
      headers: { "cb-after": String(id) },
    });
  }
  await assert.rejects(
    tradeRange(client, "BTC-USD", { from: 11_000, to: 12_999 }),
    (error) =>
      error instanceof CoinbaseRestError &&
      /4 pages did not reach trade id 11000 from 13000 \(an endless chain of pages\)$/.test(
        error.message,
      ),
  );
  assert.equal(exchange.requests.length, 4);
});
