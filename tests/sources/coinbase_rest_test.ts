import assert from "node:assert/strict";
import { parseFeedFrame } from "../../sources/coinbase_protocol.ts";
import {
  CoinbaseRestClient,
  type CoinbaseRestConfig,
  CoinbaseRestError,
} from "../../sources/coinbase_rest.ts";
import { FakeClock } from "../support/fake_clock.ts";
import { FakeExchange } from "../support/fake_exchange.ts";
import { ManualClock } from "../support/manual_clock.ts";
import { settles, waitFor } from "../support/wait.ts";
import { captureLogs } from "../support/logs.ts";

const START = Date.UTC(2025, 10, 12, 10, 0, 0);
const CONFIG: CoinbaseRestConfig = {
  baseUrl: "https://api.exchange.example",
  timeoutMs: 10_000,
  maxRetries: 3,
  maxRetryAfterMs: 30_000,
};

/** A client on a fake clock against a fake exchange of 2,500 BTC-USD trades, ids 1000-3499. */
function setup(config: Partial<CoinbaseRestConfig> = {}) {
  const clock = new FakeClock(START);
  const exchange = new FakeExchange(clock);
  exchange.add("BTC-USD", { firstId: 1000, count: 2500, startMs: START - 3_600_000, stepMs: 1000 });
  const client = new CoinbaseRestClient({ ...CONFIG, ...config }, {
    fetch: exchange.fetch,
    clock,
    random: () => 0,
  });
  return { clock, exchange, client };
}

async function restError(promise: Promise<unknown>): Promise<CoinbaseRestError> {
  let caught: unknown = null;
  await assert.rejects(promise, (error) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof CoinbaseRestError, `expected a CoinbaseRestError, got ${caught}`);
  return caught;
}

Deno.test("CoinbaseRestClient.trades() reads the newest page, newest first, with cb-after as the next cursor, each trade converted as the feed's match is", async () => {
  const { exchange, client } = setup();
  const page = await client.trades("BTC-USD");
  assert.equal(exchange.requests.length, 1);
  assert.equal(
    exchange.requests[0]!.url.href,
    "https://api.exchange.example/products/BTC-USD/trades?limit=1000",
  );
  assert.equal(page.trades.length, 1000);
  assert.deepEqual(page.trades.slice(0, 3).map((t) => t.tradeId), [3499, 3498, 3497]);
  assert.equal(page.next, 2500);
  // The same numbers and time as the feed gives for the same trade as a match.
  const raw = exchange.trades.get("BTC-USD")!.at(-1)!;
  const match = parseFeedFrame(JSON.stringify({ type: "match", product_id: "BTC-USD", ...raw }));
  assert.ok(match.type === "trade");
  assert.deepEqual(page.trades[0], { ...match.trade, sequence: null, last: false });
  assert.equal(typeof page.trades[0]!.price, "number");
});

Deno.test("CoinbaseRestClient.trades() asks for the page below a cursor with after= and the limit given", async () => {
  const { exchange, client } = setup();
  const page = await client.trades("BTC-USD", { after: 1500, limit: 10 });
  assert.equal(
    exchange.requests[0]!.url.search,
    "?limit=10&after=1500",
  );
  assert.deepEqual(page.trades.map((t) => t.tradeId), [
    1499,
    1498,
    1497,
    1496,
    1495,
    1494,
    1493,
    1492,
    1491,
    1490,
  ]);
  assert.equal(page.next, 1490);
});

Deno.test("CoinbaseRestClient.trades() makes at most 10 requests a second, however many callers", async () => {
  const { clock, exchange, client } = setup();
  for (let i = 0; i < 5; i++) await client.trades("BTC-USD", { limit: 1 });
  await Promise.all([1, 2, 3].map(() => client.trades("BTC-USD", { limit: 1 })));
  const times = exchange.requests.map((r) => r.at - START);
  for (let i = 1; i < times.length; i++) {
    assert.ok(times[i]! - times[i - 1]! >= 100, `request ${i} at ${times[i]} ms: ${times}`);
  }
  assert.deepEqual(clock.sleeps.slice(0, 4), [100, 100, 100, 100]);
});

Deno.test("CoinbaseRestClient.trades() waits out a 429's Retry-After, then reads the page", async () => {
  const { clock, exchange, client } = setup();
  exchange.script.push({
    status: 429,
    headers: { "retry-after": "2" },
    body: { message: "Public rate limit exceeded" },
  });
  const logs = await captureLogs(async () => {
    const page = await client.trades("BTC-USD", { limit: 5 });
    assert.equal(page.trades.length, 5);
  });
  assert.equal(exchange.requests.length, 2);
  assert.equal(exchange.requests[1]!.at - exchange.requests[0]!.at, 2000);
  assert.ok(clock.sleeps.includes(2000), String(clock.sleeps));
  assert.match(
    logs.find((l) => l.level === "warning")!.text,
    /^Coinbase REST BTC-USD trades: HTTP 429 \(rate limited\): Public rate limit exceeded; retry 1 of 3 in 2\.0 s$/,
  );
});

Deno.test("CoinbaseRestClient.trades() cuts a Retry-After longer than API_MAX_RETRY_AFTER to it, and says so", async () => {
  const { exchange, client } = setup({ maxRetryAfterMs: 5_000 });
  exchange.script.push({ status: 429, headers: { "retry-after": "3600" }, body: {} });
  const logs = await captureLogs(async () => {
    await client.trades("BTC-USD", { limit: 1 });
  });
  assert.equal(exchange.requests[1]!.at - exchange.requests[0]!.at, 5_000);
  assert.ok(
    logs.some((l) =>
      l.text ===
        "Coinbase's Retry-After asks to wait 3600 s; waiting 5 s instead, the most API_MAX_RETRY_AFTER allows"
    ),
    logs.map((l) => l.text).join("\n"),
  );
});

Deno.test("CoinbaseRestClient.trades() retries a 5xx or a lost connection with growing backoff, and gives up after API_MAX_RETRIES with one error", async () => {
  const { exchange, client } = setup({ maxRetries: 3 });
  exchange.script.push(
    { status: 503, body: "<html><title>503 Service Unavailable</title></html>" },
    { networkError: "connection reset" },
    { status: 502, body: { message: "bad gateway" } },
  );
  await captureLogs(async () => {
    const page = await client.trades("BTC-USD", { limit: 1 });
    assert.equal(page.trades[0]!.tradeId, 3499);
  });
  const gaps = exchange.requests.slice(1).map((r, i) => r.at - exchange.requests[i]!.at);
  assert.deepEqual(gaps, [500, 1000, 2000]);

  exchange.script.push(...Array.from({ length: 4 }, () => ({ status: 500, body: {} })));
  let error: CoinbaseRestError | null = null;
  await captureLogs(async () => {
    error = await restError(client.trades("BTC-USD", { limit: 1 }));
  });
  assert.equal(error!.failure, "unavailable");
  assert.equal(error!.status, 500);
  assert.match(error!.message, /^Coinbase REST BTC-USD trades: HTTP 500: .* \(after 4 attempts\)$/);
  assert.equal(exchange.requests.length, 4 + 4);
});

Deno.test("CoinbaseRestClient.trades() takes an answer that is not a page of trades as a bad answer, asked once, with a clear message", async (t) => {
  const cases: [string, unknown, RegExp][] = [
    [
      "HTML",
      "<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head></html>",
      /HTTP 200 with a body that is not JSON \(text\/html\): Attention Required! \| Cloudflare$/,
    ],
    ["an object", { message: "maintenance" }, /JSON that is not a list of trades: maintenance$/],
    [
      "a trade without trade_id",
      [{ time: "2025-11-12T10:00:00.000Z", price: "1", size: "1", side: "buy" }],
      /entry 0 is a trade of BTC-USD with trade_id undefined$/,
    ],
    [
      "a price that is not a decimal",
      [{ time: "2025-11-12T10:00:00.000Z", trade_id: 5, price: "1e3", size: "1", side: "buy" }],
      /entry 0 is a trade of BTC-USD with price "1e3"$/,
    ],
    [
      "ids not newest first",
      [
        { time: "2025-11-12T10:00:00.000Z", trade_id: 5, price: "1", size: "1", side: "buy" },
        { time: "2025-11-12T10:00:00.000Z", trade_id: 6, price: "1", size: "1", side: "buy" },
      ],
      /entry 1 has trade_id 6, not below 5/,
    ],
  ];
  for (const [name, body, message] of cases) {
    await t.step(name, async () => {
      const { exchange, client } = setup();
      exchange.script.push({ body });
      const error = await restError(client.trades("BTC-USD"));
      assert.equal(error.failure, "bad-answer");
      assert.match(error.message, message);
      assert.equal(exchange.requests.length, 1);
    });
  }
});

Deno.test("CoinbaseRestClient.trades() takes a page with ids at or above its cursor, or a cb-after that is no id, as a bad answer", async () => {
  const { exchange, client } = setup();
  exchange.script.push({
    body: [{
      time: "2025-11-12T10:00:00.000Z",
      trade_id: 1500,
      price: "1",
      size: "1",
      side: "buy",
    }],
  });
  const above = await restError(client.trades("BTC-USD", { after: 1500 }));
  assert.match(above.message, /entry 0 has trade_id 1500, not below 1500/);
  exchange.script.push({ body: [], headers: { "cb-after": "soon" } });
  const cursor = await restError(client.trades("BTC-USD", { after: 1500 }));
  assert.match(cursor.message, /cb-after is not a trade id: "soon"$/);
});

Deno.test("CoinbaseRestClient.trades() does not retry a 4xx: asking again gives the same answer", async () => {
  const { exchange, client } = setup();
  exchange.script.push({ status: 404, body: { message: "NotFound" } });
  const error = await restError(client.trades("NOPE-USD"));
  assert.equal(error.failure, "refused");
  assert.equal(error.status, 404);
  assert.equal(error.message, "Coinbase REST NOPE-USD trades: HTTP 404: NotFound");
  assert.equal(exchange.requests.length, 1);
});

Deno.test("CoinbaseRestClient.trades() stops waiting when its signal aborts", async () => {
  // A clock that never moves by itself: the client waits out the Retry-After until aborted.
  const clock = new ManualClock(START);
  const exchange = new FakeExchange(clock);
  exchange.add("BTC-USD", { firstId: 1000, count: 10, startMs: START - 60_000, stepMs: 1000 });
  const client = new CoinbaseRestClient(CONFIG, { fetch: exchange.fetch, clock, random: () => 0 });
  exchange.script.push({ status: 429, headers: { "retry-after": "20" }, body: {} });
  const controller = new AbortController();
  const reading = client.trades("BTC-USD", { signal: controller.signal });
  await waitFor(() => clock.pending.includes(20_000), { message: "the wait of the Retry-After" });
  controller.abort(new Error("stopping"));
  await captureLogs(async () => {
    await settles(assert.rejects(reading, /stopping/), { message: "the read to give up" });
  });
  assert.equal(exchange.requests.length, 1);
});
