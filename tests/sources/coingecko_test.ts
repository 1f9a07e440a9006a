import assert from "node:assert/strict";
import {
  CoinGeckoClient,
  CoinGeckoError,
  parsePrices,
  parseRetryAfter,
} from "../../sources/coingecko.ts";
import type { Coin, CoinGeckoConfig } from "../../config/types.ts";
import type { Clock, DelayOptions } from "../../runtime/delay.ts";
import { CoinGeckoStub } from "../support/coingecko_stub.ts";
import { FakeClock } from "../support/fake_clock.ts";
import { captureLogs } from "../support/logs.ts";

const BTC: Coin = { id: "bitcoin", symbol: "BTC" };
const ETH: Coin = { id: "ethereum", symbol: "ETH" };
const COINS: readonly Coin[] = [BTC, ETH];
/** 2025-11-12T10:30:45.000Z: whole seconds, so HTTP dates line up with the fake clock. */
const START = Date.UTC(2025, 10, 12, 10, 30, 45);
const SECRET = "CG-s3cr3t-KEY-do-not-leak";

const BTC_ENTRY = {
  usd: 45234.56,
  usd_market_cap: 886543210987.65,
  usd_24h_vol: 28456789012.34,
  usd_24h_change: 2.34,
  last_updated_at: 1699876543,
};
const ETH_ENTRY = {
  usd: 3198.23,
  usd_market_cap: 384567890123.45,
  usd_24h_vol: 15234567890.12,
  usd_24h_change: -1.5,
  last_updated_at: 1699876540,
};

const HTML_502 = `<!DOCTYPE html>
<html><head><title>502 Bad Gateway</title></head>
<body><h1>Bad Gateway</h1><p>cloudflare</p></body></html>`;

const HTML_429 = `<html><head><title>429 Too Many Requests</title></head>
<body><center><h1>429 Too Many Requests</h1></center></body></html>`;

/** The client's settings against the stand-in; tests override what they exercise. */
function configFor(stub: CoinGeckoStub, overrides: Partial<CoinGeckoConfig> = {}): CoinGeckoConfig {
  return {
    baseUrl: stub.url,
    apiKey: null,
    apiKeyType: "demo",
    timeoutMs: 10_000,
    maxRetries: 3,
    rateLimitDelayMs: 1_000,
    maxRetryAfterMs: 300_000,
    ...overrides,
  };
}

/** Runs `fn` against a fresh stand-in, always closing it. */
async function withStub(fn: (stub: CoinGeckoStub) => Promise<void>): Promise<void> {
  const stub = await CoinGeckoStub.start();
  try {
    await fn(stub);
  } finally {
    await stub.close();
  }
}

/** The client on a fake clock, with no jitter. */
function clientFor(
  stub: CoinGeckoStub,
  overrides: Partial<CoinGeckoConfig> = {},
  clock: Clock = new FakeClock(START),
): CoinGeckoClient {
  return new CoinGeckoClient(configFor(stub, overrides), { clock, random: () => 0 });
}

/** Waits (polling the event loop, at most ~5 s) until `condition` holds. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

/** A clock whose sleeps never end unless aborted; records what was asked. */
class StuckClock implements Clock {
  readonly sleeps: number[] = [];
  now(): number {
    return START;
  }
  sleep(ms: number, options: DelayOptions = {}): Promise<void> {
    this.sleeps.push(ms);
    const { signal } = options;
    return new Promise((_, reject) => {
      if (signal?.aborted) reject(signal.reason);
      signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
  }
}

/** Asserts `promise` rejects with a CoinGeckoError and returns it. */
async function coinGeckoError(promise: Promise<unknown>): Promise<CoinGeckoError> {
  let caught: unknown = null;
  await assert.rejects(promise, (error) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof CoinGeckoError, `expected a CoinGeckoError, got ${caught}`);
  return caught;
}

// --- 200 --------------------------------------------------------------------------------------

Deno.test("CoinGeckoClient.fetchPrices() returns a tick for each coin from one request", async () => {
  await withStub(async (stub) => {
    stub.enqueue({ body: { bitcoin: BTC_ENTRY, ethereum: ETH_ENTRY } });
    const clock = new FakeClock(START);
    const client = clientFor(stub, {}, clock);

    const { ticks, skipped } = await client.fetchPrices(COINS, 7);

    assert.equal(stub.requests.length, 1);
    assert.deepEqual(skipped, []);
    assert.deepEqual(ticks, [
      {
        coinId: "bitcoin",
        symbol: "BTC",
        priceUsd: 45234.56,
        volume24h: 28456789012.34,
        marketCap: 886543210987.65,
        change24h: 2.34,
        lastUpdated: 1699876543,
        fetchedAt: START,
        cycle: 7,
      },
      {
        coinId: "ethereum",
        symbol: "ETH",
        priceUsd: 3198.23,
        volume24h: 15234567890.12,
        marketCap: 384567890123.45,
        change24h: -1.5,
        lastUpdated: 1699876540,
        fetchedAt: START,
        cycle: 7,
      },
    ]);
  });
});

Deno.test("CoinGeckoClient.fetchPrices() asks /simple/price for all ids in usd with every extra field", async () => {
  await withStub(async (stub) => {
    await clientFor(stub).fetchPrices(COINS, 1);

    assert.equal(stub.requests.length, 1);
    const url = stub.requests[0]!.url;
    assert.equal(url.pathname, "/api/v3/simple/price");
    const params = url.searchParams;
    assert.equal(params.get("ids"), "bitcoin,ethereum");
    assert.equal(params.get("vs_currencies"), "usd");
    assert.equal(params.get("include_market_cap"), "true");
    assert.equal(params.get("include_24hr_vol"), "true");
    assert.equal(params.get("include_24hr_change"), "true");
    assert.equal(params.get("include_last_updated_at"), "true");
  });
});

// --- API key ----------------------------------------------------------------------------------

Deno.test("CoinGeckoClient.fetchPrices() sends a demo key in x-cg-demo-api-key, not in the URL", async () => {
  await withStub(async (stub) => {
    await clientFor(stub, { apiKey: SECRET, apiKeyType: "demo" }).fetchPrices(COINS, 1);

    const request = stub.requests[0]!;
    assert.equal(request.headers.get("x-cg-demo-api-key"), SECRET);
    assert.equal(request.headers.get("x-cg-pro-api-key"), null);
    assert.ok(!request.url.href.includes(SECRET), request.url.href);
  });
});

Deno.test("CoinGeckoClient.fetchPrices() sends a pro key in x-cg-pro-api-key, not in the URL", async () => {
  await withStub(async (stub) => {
    await clientFor(stub, { apiKey: SECRET, apiKeyType: "pro" }).fetchPrices(COINS, 1);

    const request = stub.requests[0]!;
    assert.equal(request.headers.get("x-cg-pro-api-key"), SECRET);
    assert.equal(request.headers.get("x-cg-demo-api-key"), null);
    assert.ok(!request.url.href.includes(SECRET), request.url.href);
  });
});

Deno.test("CoinGeckoClient.fetchPrices() sends no key header without a key", async () => {
  await withStub(async (stub) => {
    await clientFor(stub, { apiKey: null }).fetchPrices(COINS, 1);

    const request = stub.requests[0]!;
    assert.equal(request.headers.get("x-cg-demo-api-key"), null);
    assert.equal(request.headers.get("x-cg-pro-api-key"), null);
  });
});

Deno.test("CoinGeckoClient.fetchPrices() keeps the API key out of its error messages", async () => {
  await withStub(async (stub) => {
    stub.enqueue(
      { status: 401, body: { status: { error_code: 10002, error_message: "Invalid API key" } } },
      { status: 500, body: { error: "boom" } },
      { status: 500, body: { error: "boom" } },
    );
    const client = clientFor(stub, { apiKey: SECRET, maxRetries: 1 });

    const unauthorized = await coinGeckoError(client.fetchPrices(COINS, 1));
    const failing = await coinGeckoError(client.fetchPrices(COINS, 2));

    for (const error of [unauthorized, failing]) {
      assert.ok(!error.message.includes(SECRET), error.message);
      assert.ok(!String(error.stack).includes(SECRET), String(error.stack));
    }
  });
});

// --- 429 --------------------------------------------------------------------------------------

Deno.test("CoinGeckoClient.fetchPrices() waits Retry-After seconds after a 429", async () => {
  await withStub(async (stub) => {
    stub.enqueue({ status: 429, body: { error: "Throttled" }, headers: { "retry-after": "7" } });
    const clock = new FakeClock(START);

    const { ticks } = await clientFor(stub, { rateLimitDelayMs: 1_000 }, clock)
      .fetchPrices(COINS, 1);

    assert.deepEqual(clock.sleeps, [7_000]);
    assert.equal(stub.requests.length, 2);
    assert.deepEqual(ticks.map((t) => t.symbol), ["BTC", "ETH"]);
  });
});

Deno.test("CoinGeckoClient.fetchPrices() waits Retry-After seconds after a 503 that sends one", async () => {
  await withStub(async (stub) => {
    stub.enqueue({
      status: 503,
      body: "<html><title>Down for maintenance</title></html>",
      headers: { "retry-after": "12", "content-type": "text/html" },
    });
    const clock = new FakeClock(START);

    const { ticks } = await clientFor(stub, { rateLimitDelayMs: 1_000 }, clock)
      .fetchPrices(COINS, 1);

    assert.deepEqual(clock.sleeps, [12_000]);
    assert.equal(ticks.length, 2);
  });
});

Deno.test("CoinGeckoClient.fetchPrices() waits until a Retry-After HTTP date after a 429", async () => {
  await withStub(async (stub) => {
    const retryAt = new Date(START + 30_000).toUTCString();
    stub.enqueue({
      status: 429,
      body: { error: "Throttled" },
      headers: { "retry-after": retryAt },
    });
    const clock = new FakeClock(START);

    const { ticks } = await clientFor(stub, {}, clock).fetchPrices(COINS, 1);

    assert.deepEqual(clock.sleeps, [30_000]);
    assert.equal(ticks.length, 2);
  });
});

Deno.test("CoinGeckoClient.fetchPrices() keeps the last Retry-After for the next cycle when a cycle gives up", async () => {
  await withStub(async (stub) => {
    stub.enqueue(
      { status: 429, body: { error: "Throttled" }, headers: { "retry-after": "7" } },
      { status: 429, body: { error: "Throttled" }, headers: { "retry-after": "9" } },
    );
    const clock = new FakeClock(START);
    const client = clientFor(stub, { rateLimitDelayMs: 1_000, maxRetries: 1 }, clock);

    const error = await coinGeckoError(client.fetchPrices(COINS, 1));
    assert.match(error.message, /next request in 9\.0s as Retry-After asks/);
    const givenUpAt = clock.now();
    const { ticks } = await client.fetchPrices(COINS, 2);

    assert.deepEqual(clock.sleeps, [7_000, 9_000]);
    assert.equal(stub.requests.length, 3);
    assert.equal(clock.now() - givenUpAt, 9_000);
    assert.equal(ticks.length, 2);
  });
});

Deno.test("CoinGeckoClient.fetchPrices() waits at most maxRetryAfterMs, with one warning naming both", async () => {
  await withStub(async (stub) => {
    stub.enqueue({
      status: 429,
      body: { error: "Throttled" },
      headers: { "retry-after": "86400" },
    });
    const clock = new FakeClock(START);
    const client = clientFor(stub, { rateLimitDelayMs: 1_000, maxRetryAfterMs: 300_000 }, clock);

    let ticks: unknown[] = [];
    const logs = await captureLogs(async () => {
      ({ ticks } = await client.fetchPrices(COINS, 1));
    });

    assert.deepEqual(clock.sleeps, [300_000]);
    assert.equal(ticks.length, 2);
    const capped = logs.filter((l) => l.text.includes("86400"));
    assert.equal(capped.length, 1, JSON.stringify(logs));
    assert.equal(capped[0]!.level, "warning");
    assert.match(capped[0]!.text, /\b86400s\b.*\b300s\b.*API_MAX_RETRY_AFTER/);
  });
});

Deno.test("CoinGeckoClient.fetchPrices() caps a far Retry-After date and the wait it leaves for the next cycle", async () => {
  await withStub(async (stub) => {
    const tomorrow = new Date(START + 86_400_000).toUTCString();
    stub.enqueue(
      { status: 429, body: { error: "Throttled" }, headers: { "retry-after": tomorrow } },
      { status: 429, body: { error: "Throttled" }, headers: { "retry-after": tomorrow } },
    );
    const clock = new FakeClock(START);
    const client = clientFor(stub, { maxRetries: 0, maxRetryAfterMs: 60_000 }, clock);

    const error = await coinGeckoError(client.fetchPrices(COINS, 1));
    assert.match(error.message, /next request in 60\.0s/);
    const givenUpAt = clock.now();
    await captureLogs(async () => {
      await coinGeckoError(client.fetchPrices(COINS, 2));
    });
    assert.equal(clock.now() - givenUpAt, 60_000);
  });
});

Deno.test("CoinGeckoClient.fetchPrices() backs off from rateLimitDelayMs, doubling, after 429s without Retry-After", async () => {
  await withStub(async (stub) => {
    stub.enqueue(
      { status: 429, body: { error: "Throttled" } },
      { status: 429, body: { error: "Throttled" } },
    );
    const clock = new FakeClock(START);

    const { ticks } = await clientFor(stub, { rateLimitDelayMs: 1_500 }, clock)
      .fetchPrices(COINS, 1);

    assert.deepEqual(clock.sleeps, [1_500, 3_000]);
    assert.equal(stub.requests.length, 3);
    assert.equal(ticks.length, 2);
  });
});

Deno.test("CoinGeckoClient.fetchPrices() backs off as without Retry-After when Retry-After is unreadable", async () => {
  await withStub(async (stub) => {
    stub.enqueue(
      { status: 429, body: { error: "Throttled" }, headers: { "retry-after": "1.5" } },
      { status: 429, body: { error: "Throttled" }, headers: { "retry-after": "-5" } },
    );
    const clock = new FakeClock(START);

    const { ticks } = await clientFor(stub, { rateLimitDelayMs: 1_000 }, clock)
      .fetchPrices(COINS, 1);

    assert.deepEqual(clock.sleeps, [1_000, 2_000]);
    assert.equal(ticks.length, 2);
  });
});

Deno.test("CoinGeckoClient.fetchPrices() retries a 429 with an HTML body and then succeeds", async () => {
  await withStub(async (stub) => {
    stub.enqueue({ status: 429, body: HTML_429 });

    const { ticks } = await clientFor(stub).fetchPrices(COINS, 1);

    assert.equal(stub.requests.length, 2);
    assert.deepEqual(ticks.map((t) => t.symbol), ["BTC", "ETH"]);
  });
});

Deno.test("CoinGeckoClient.fetchPrices() reports a lasting 429 HTML page by status and title", async () => {
  await withStub(async (stub) => {
    stub.enqueue({ status: 429, body: HTML_429 }, { status: 429, body: HTML_429 });

    const error = await coinGeckoError(clientFor(stub, { maxRetries: 1 }).fetchPrices(COINS, 1));

    assert.equal(error.status, 429);
    assert.match(error.message, /429/);
    assert.match(error.message, /Too Many Requests/);
    assert.doesNotMatch(error.message, /<\/?(html|head|title|body)/i);
    assert.equal(stub.requests.length, 2);
  });
});

// --- 5xx --------------------------------------------------------------------------------------

Deno.test("CoinGeckoClient.fetchPrices() succeeds on retry after a 500", async () => {
  await withStub(async (stub) => {
    stub.enqueue({ status: 500, body: { error: "Internal Server Error" } });
    const clock = new FakeClock(START);

    const { ticks } = await clientFor(stub, { rateLimitDelayMs: 2_000 }, clock)
      .fetchPrices(COINS, 1);

    assert.equal(stub.requests.length, 2);
    assert.deepEqual(clock.sleeps, [2_000]);
    assert.deepEqual(ticks.map((t) => t.symbol), ["BTC", "ETH"]);
  });
});

Deno.test("CoinGeckoClient.fetchPrices() gives up after maxRetries+1 answers of HTTP 500", async () => {
  await withStub(async (stub) => {
    for (let i = 0; i < 5; i++) stub.enqueue({ status: 500, body: { error: "Internal" } });
    const clock = new FakeClock(START);

    const error = await coinGeckoError(
      clientFor(stub, { maxRetries: 2, rateLimitDelayMs: 1_000 }, clock).fetchPrices(COINS, 1),
    );

    assert.equal(stub.requests.length, 3);
    assert.equal(error.status, 500);
    assert.match(error.message, /HTTP 500/);
    assert.match(error.message, /3 attempts/);
    assert.deepEqual(clock.sleeps, [1_000, 2_000]);
  });
});

Deno.test("CoinGeckoClient.fetchPrices() turns an HTML 502 page into a CoinGeckoError with status and title", async () => {
  await withStub(async (stub) => {
    stub.enqueue({ status: 502, body: HTML_502, headers: { "content-type": "text/html" } });

    const error = await coinGeckoError(clientFor(stub, { maxRetries: 0 }).fetchPrices(COINS, 1));

    assert.equal(error.status, 502);
    assert.match(error.message, /502/);
    assert.match(error.message, /502 Bad Gateway/);
    assert.doesNotMatch(error.message, /<!DOCTYPE|<html|cloudflare/i);
  });
});

// --- bodies that are not a price object -------------------------------------------------------

Deno.test("CoinGeckoClient.fetchPrices() rejects a 200 whose body is not JSON", async () => {
  await withStub(async (stub) => {
    stub.enqueue({
      body: "Service temporarily unavailable, try later",
      headers: { "content-type": "text/plain" },
    });

    const error = await coinGeckoError(clientFor(stub, { maxRetries: 0 }).fetchPrices(COINS, 1));

    assert.match(error.message, /not JSON/);
    assert.match(error.message, /Service temporarily unavailable/);
    assert.equal(error.status, 200);
  });
});

Deno.test("CoinGeckoClient.fetchPrices() rejects a 200 with truncated JSON", async () => {
  await withStub(async (stub) => {
    stub.enqueue({
      body: '{"bitcoin":{"usd":45234.5',
      headers: { "content-type": "application/json" },
    });

    const error = await coinGeckoError(clientFor(stub, { maxRetries: 0 }).fetchPrices(COINS, 1));

    assert.match(error.message, /not JSON/);
  });
});

Deno.test("CoinGeckoClient.fetchPrices() reports an answer broken off mid-body as such, with its status", async () => {
  await withStub(async (stub) => {
    stub.enqueue({ cutAfter: 20 });

    const error = await coinGeckoError(clientFor(stub, { maxRetries: 0 }).fetchPrices(COINS, 1));

    assert.match(error.message, /HTTP 200 answer broke off before its end/);
    assert.doesNotMatch(error.message, /Cannot reach/);
    assert.equal(error.status, 200);
  });
});

Deno.test("CoinGeckoClient.fetchPrices() retries an answer broken off mid-body and then succeeds", async () => {
  await withStub(async (stub) => {
    stub.enqueue({ cutAfter: 20 });

    const { ticks } = await clientFor(stub).fetchPrices(COINS, 1);

    assert.equal(stub.requests.length, 2);
    assert.deepEqual(ticks.map((t) => t.symbol), ["BTC", "ETH"]);
  });
});

Deno.test("CoinGeckoClient.fetchPrices() reports an empty object once, as such, without retrying", async () => {
  await withStub(async (stub) => {
    stub.enqueue({ body: {} });

    const error = await coinGeckoError(clientFor(stub).fetchPrices(COINS, 1));

    assert.equal(
      error.message,
      "CoinGecko answered an empty object: no price for any of bitcoin, ethereum",
    );
    assert.equal(stub.requests.length, 1);
  });
});

Deno.test("CoinGeckoClient.fetchPrices() rejects JSON that is an array", async () => {
  await withStub(async (stub) => {
    stub.enqueue({ body: [{ bitcoin: BTC_ENTRY }] });

    const error = await coinGeckoError(clientFor(stub, { maxRetries: 0 }).fetchPrices(COINS, 1));

    assert.match(error.message, /not an object/);
  });
});

Deno.test("CoinGeckoClient.fetchPrices() rejects JSON that is null", async () => {
  await withStub(async (stub) => {
    stub.enqueue({ body: null });

    const error = await coinGeckoError(clientFor(stub, { maxRetries: 0 }).fetchPrices(COINS, 1));

    assert.match(error.message, /not an object/);
  });
});

// --- 4xx --------------------------------------------------------------------------------------

Deno.test("CoinGeckoClient.fetchPrices() does not retry a 401 and points at COINGECKO_API_KEY", async () => {
  await withStub(async (stub) => {
    stub.enqueue({
      status: 401,
      body: { status: { error_code: 10002, error_message: "Missing or invalid API key" } },
    });
    const clock = new FakeClock(START);

    const error = await coinGeckoError(
      clientFor(stub, { maxRetries: 3 }, clock).fetchPrices(COINS, 1),
    );

    assert.equal(stub.requests.length, 1);
    assert.deepEqual(clock.sleeps, []);
    assert.equal(error.status, 401);
    assert.match(error.message, /HTTP 401/);
    assert.match(error.message, /COINGECKO_API_KEY/);
    assert.match(error.message, /Missing or invalid API key/);
  });
});

Deno.test("CoinGeckoClient.fetchPrices() does not retry a 404", async () => {
  await withStub(async (stub) => {
    stub.enqueue({ status: 404, body: { error: "Not found" } });

    const error = await coinGeckoError(clientFor(stub, { maxRetries: 3 }).fetchPrices(COINS, 1));

    assert.equal(stub.requests.length, 1);
    assert.equal(error.status, 404);
    assert.match(error.message, /HTTP 404/);
    assert.doesNotMatch(error.message, /COINGECKO_API_KEY/);
  });
});

// --- timeouts and the network -----------------------------------------------------------------

/** A fetch that counts the client's attempts, whether or not they reached the stand-in. */
function countingFetch(): { fetch: typeof fetch; calls: () => number } {
  let calls = 0;
  return {
    fetch: (input, init) => {
      calls++;
      return globalThis.fetch(input, init);
    },
    calls: () => calls,
  };
}

// The stand-in holds these answers for 5 s against a 0.5 s timeout; the assertions count the
// client's attempts rather than the stand-in's log, so a slow machine cannot change the outcome.

Deno.test("CoinGeckoClient.fetchPrices() says CoinGecko did not answer within the timeout, after retrying", async () => {
  await withStub(async (stub) => {
    for (let i = 0; i < 4; i++) stub.enqueue({ delayMs: 5_000 });
    const counting = countingFetch();
    const client = new CoinGeckoClient(configFor(stub, { timeoutMs: 500, maxRetries: 1 }), {
      fetch: counting.fetch,
      clock: new FakeClock(START),
      random: () => 0,
    });

    const error = await coinGeckoError(client.fetchPrices(COINS, 1));

    assert.match(error.message, /did not answer within 0\.5s/);
    assert.match(error.message, /2 attempts/);
    assert.equal(error.status, null);
    assert.equal(counting.calls(), 2);
  });
});

Deno.test("CoinGeckoClient.fetchPrices() retries a request that timed out and then succeeds", async () => {
  await withStub(async (stub) => {
    stub.enqueue({ delayMs: 5_000 });
    const counting = countingFetch();
    const client = new CoinGeckoClient(configFor(stub, { timeoutMs: 500, maxRetries: 3 }), {
      fetch: counting.fetch,
      clock: new FakeClock(START),
      random: () => 0,
    });

    const { ticks } = await client.fetchPrices(COINS, 1);

    assert.ok(counting.calls() >= 2, `attempts: ${counting.calls()}`);
    assert.deepEqual(ticks.map((t) => t.symbol), ["BTC", "ETH"]);
  });
});

Deno.test("CoinGeckoClient.fetchPrices() reports an unreachable CoinGecko after its retries", async () => {
  const stub = await CoinGeckoStub.start();
  const config = configFor(stub, { maxRetries: 1 });
  await stub.close();
  const client = new CoinGeckoClient(config, { clock: new FakeClock(START), random: () => 0 });

  const error = await coinGeckoError(client.fetchPrices(COINS, 1));

  assert.match(error.message, /Cannot reach CoinGecko at http:\/\/127\.0\.0\.1:\d+/);
  assert.match(error.message, /2 attempts/);
  assert.equal(error.status, null);
});

// --- coins with no usable price ---------------------------------------------------------------

Deno.test("CoinGeckoClient.fetchPrices() skips a coin missing from the answer and keeps the others", async () => {
  await withStub(async (stub) => {
    stub.unknown.add("ethereum");

    const { ticks, skipped } = await clientFor(stub).fetchPrices(COINS, 1);

    assert.deepEqual(ticks.map((t) => t.symbol), ["BTC"]);
    assert.equal(skipped.length, 1);
    assert.match(skipped[0]!.reason, /ethereum/);
    assert.match(skipped[0]!.reason, /missing/);
    assert.equal(skipped[0]!.missing, true);
  });
});

Deno.test("CoinGeckoClient.fetchPrices() skips null, negative, zero, text and non-finite prices with a reason", async () => {
  await withStub(async (stub) => {
    const bad: [Coin, string][] = [
      [{ id: "null-coin", symbol: "NUL" }, '{"usd":null}'],
      [{ id: "negative-coin", symbol: "NEG" }, '{"usd":-1.5}'],
      [{ id: "zero-coin", symbol: "ZER" }, '{"usd":0}'],
      [{ id: "string-coin", symbol: "STR" }, '{"usd":"45000.12"}'],
      [{ id: "nan-coin", symbol: "NAN" }, '{"usd":"NaN"}'],
      [{ id: "huge-coin", symbol: "HUG" }, '{"usd":1e999}'],
      [{ id: "nousd-coin", symbol: "NOU" }, '{"usd_market_cap":5}'],
    ];
    const body = `{"bitcoin":${JSON.stringify(BTC_ENTRY)},${
      bad.map(([coin, entry]) => `"${coin.id}":${entry}`).join(",")
    }}`;
    stub.enqueue({ body, headers: { "content-type": "application/json" } });

    const { ticks, skipped } = await clientFor(stub).fetchPrices(
      [BTC, ...bad.map(([coin]) => coin)],
      1,
    );

    assert.deepEqual(ticks.map((t) => [t.symbol, t.priceUsd]), [["BTC", 45234.56]]);
    assert.equal(skipped.length, bad.length);
    bad.forEach(([coin], i) => {
      assert.match(skipped[i]!.reason, new RegExp(`${coin.id} \\(${coin.symbol}\\)`));
      assert.match(skipped[i]!.reason, /no usable price/);
      assert.equal(skipped[i]!.missing, false);
    });
    assert.match(skipped[3]!.reason, /45000\.12/);
  });
});

Deno.test("CoinGeckoClient.fetchPrices() sends optional fields that are not numbers as null", async () => {
  await withStub(async (stub) => {
    stub.enqueue({
      body: {
        bitcoin: {
          usd: 45234.56,
          usd_market_cap: "886543210987.65",
          usd_24h_vol: null,
          usd_24h_change: "NaN",
          last_updated_at: "yesterday",
        },
        ethereum: { usd: 3198.23 },
      },
    });

    const { ticks, skipped } = await clientFor(stub).fetchPrices(COINS, 1);

    assert.deepEqual(skipped, []);
    for (const tick of ticks) {
      assert.equal(tick.marketCap, null);
      assert.equal(tick.volume24h, null);
      assert.equal(tick.change24h, null);
      assert.equal(tick.lastUpdated, null);
    }
    assert.deepEqual(ticks.map((t) => t.priceUsd), [45234.56, 3198.23]);
  });
});

// --- the least gap between calls --------------------------------------------------------------

Deno.test("CoinGeckoClient.fetchPrices() keeps rateLimitDelayMs between two calls", async () => {
  await withStub(async (stub) => {
    const clock = new FakeClock(START);
    const client = clientFor(stub, { rateLimitDelayMs: 6_000 }, clock);

    await client.fetchPrices(COINS, 1);
    assert.deepEqual(clock.sleeps, []);
    await client.fetchPrices(COINS, 2);

    assert.deepEqual(clock.sleeps, [6_000]);
    assert.equal(stub.requests.length, 2);
  });
});

Deno.test("CoinGeckoClient.fetchPrices() waits only what is left of the gap", async () => {
  await withStub(async (stub) => {
    const clock = new FakeClock(START);
    const client = clientFor(stub, { rateLimitDelayMs: 6_000 }, clock);

    await client.fetchPrices(COINS, 1);
    await clock.sleep(2_500);
    await client.fetchPrices(COINS, 2);
    await clock.sleep(10_000);
    await client.fetchPrices(COINS, 3);

    assert.deepEqual(clock.sleeps, [2_500, 3_500, 10_000]);
  });
});

// --- aborting ---------------------------------------------------------------------------------

Deno.test("CoinGeckoClient.fetchPrices() rejects with the abort reason when aborted during a hung request", async () => {
  await withStub(async (stub) => {
    stub.enqueue({ delayMs: 5_000 });
    const controller = new AbortController();
    const client = clientFor(stub, { timeoutMs: 30_000, maxRetries: 0 });
    const fetching = client.fetchPrices(COINS, 1, { signal: controller.signal });
    await until(() => stub.requests.length === 1, "the request to arrive");

    const reason = new Error("shutting down");
    controller.abort(reason);

    await assert.rejects(fetching, (error) => error === reason);
    assert.equal(stub.requests.length, 1);
  });
});

Deno.test("CoinGeckoClient.fetchPrices() rejects with the abort reason when aborted during a Retry-After wait", async () => {
  await withStub(async (stub) => {
    stub.enqueue({ status: 429, body: { error: "Throttled" }, headers: { "retry-after": "60" } });
    const clock = new StuckClock();
    const controller = new AbortController();
    const client = clientFor(stub, {}, clock);
    const fetching = client.fetchPrices(COINS, 1, { signal: controller.signal });
    await until(() => clock.sleeps.length === 1, "the client to wait");

    const reason = new Error("shutting down");
    controller.abort(reason);

    await assert.rejects(fetching, (error) => error === reason);
    assert.deepEqual(clock.sleeps, [60_000]);
    assert.equal(stub.requests.length, 1);
  });
});

// --- parseRetryAfter and parsePrices ----------------------------------------------------------

Deno.test("parseRetryAfter() reads delta-seconds and HTTP dates, and null for anything else", () => {
  assert.equal(parseRetryAfter("7", START), 7_000);
  assert.equal(parseRetryAfter(" 0 ", START), 0);
  assert.equal(parseRetryAfter(new Date(START + 12_000).toUTCString(), START), 12_000);
  assert.equal(parseRetryAfter(new Date(START - 12_000).toUTCString(), START), 0);
  assert.equal(parseRetryAfter("Wed, 12 Nov 2025 10:31:00 GMT", START), 15_000);
  assert.equal(parseRetryAfter(null, START), null);
  assert.equal(parseRetryAfter("soon", START), null);
});

Deno.test("parseRetryAfter() returns null for values Date.parse would stretch into a date", () => {
  for (const header of ["-5", "1.5", "in 5", "abc 1"]) {
    assert.equal(parseRetryAfter(header, START), null, `Retry-After: ${header}`);
  }
});

Deno.test("parsePrices() truncates a fractional last_updated_at to whole seconds", () => {
  const { ticks } = parsePrices(
    { bitcoin: { usd: 1, last_updated_at: 1699876543.9 } },
    [BTC],
    1,
    START,
  );
  assert.equal(ticks[0]?.lastUpdated, 1699876543);
});

Deno.test("parsePrices() names an overflowing price as Infinity, not null", () => {
  const { skipped } = parsePrices(
    { bitcoin: { usd: Infinity } },
    [{ id: "bitcoin", symbol: "BTC" }],
    1,
    0,
  );
  assert.match(skipped[0]!.reason, /usd is Infinity/);
});
