import assert from "node:assert/strict";
import { LiveHub } from "../../http/live_hub.ts";
import type { LatestPrice } from "../../market/latest_price.ts";
import { alert, candle, latest, NOW } from "./support.ts";
import { SseReader } from "./sse.ts";
import { waitFor } from "../support/wait.ts";

const price = (symbol: string, priceUsd: number): LatestPrice => ({
  source: "coingecko",
  product: `${symbol}-USD`,
  symbol,
  priceUsd,
  volume24h: null,
  marketCap: null,
  priceChange24h: 1.5,
  eventTime: NOW,
});

Deno.test("LiveHub.subscribe() sends each client only its symbols, and pipeline events to all", async () => {
  const hub = new LiveHub({ bootId: "b" });
  const btc = new SseReader(hub.subscribe({ symbols: new Set(["BTC"]) }));
  const all = new SseReader(hub.subscribe());
  hub.publish({ type: "price", price: price("ETH", 3000) });
  hub.publish({ type: "price", price: price("BTC", 45000) });
  hub.publish({ type: "candle", candle: candle("BTC", "1m", NOW) });
  hub.publish({ type: "pipeline", pipeline: { total_lag: 0 } });
  const seen = [await btc.next(), await btc.next(), await btc.next()];
  assert.deepEqual(seen.map((e) => [e.id, e.event]), [
    ["b-2", "price"],
    ["b-3", "candle"],
    ["b-4", "pipeline"],
  ]);
  assert.deepEqual(seen[0]!.data, {
    source: "coingecko",
    product: "BTC-USD",
    quote: "USD",
    symbol: "BTC",
    price_usd: 45000,
    volume_24h: null,
    market_cap: null,
    price_change_24h: 1.5,
    event_time: "2025-11-12T12:00:00.000Z",
  });
  assert.equal(seen[1]!.data.window_start, "2025-11-12T12:00:00.000Z");
  assert.equal((await all.next()).data.symbol, "ETH");
  await btc.cancel();
  await all.cancel();
  assert.equal(hub.stats.clients, 0);
  hub.close();
});

Deno.test("LiveHub events name their market; a client may follow markets, symbols or both", async () => {
  const hub = new LiveHub({ bootId: "m" });
  const eur = new SseReader(hub.subscribe({ markets: new Set(["coinbase:BTC-EUR"]) }));
  const either = new SseReader(
    hub.subscribe({ symbols: new Set(["ETH"]), markets: new Set(["coinbase:BTC-EUR"]) }),
  );
  const btc = new SseReader(hub.subscribe({ symbols: new Set(["BTC"]) }));
  hub.publish({ type: "price", price: latest("BTC", 45_000) });
  hub.publish({ type: "price", price: latest("coinbase:BTC-EUR", 41_000) });
  hub.publish({ type: "candle", candle: candle("coinbase:BTC-EUR", "1m", NOW) });
  hub.publish({ type: "alert", alert: alert("coinbase:BTC-EUR", NOW) });
  hub.publish({ type: "price", price: latest("ETH", 3000) });
  hub.publish({ type: "pipeline", pipeline: { total_lag: 0 } });
  const market = (e: { data: Record<string, unknown> }) => `${e.data.source}:${e.data.product}`;
  const fromEur = [await eur.next(), await eur.next(), await eur.next(), await eur.next()];
  assert.deepEqual(fromEur.map((e) => [e.event, market(e)]), [
    ["price", "coinbase:BTC-EUR"],
    ["candle", "coinbase:BTC-EUR"],
    ["alert", "coinbase:BTC-EUR"],
    ["pipeline", "undefined:undefined"],
  ]);
  assert.equal(fromEur[0]!.data.price_usd, 41_000);
  assert.equal(fromEur[1]!.data.buy_volume, 1);
  const take = async (reader: SseReader, n: number) => {
    const events = [];
    for (let i = 0; i < n; i++) events.push(await reader.next());
    return events;
  };
  const fromEither = await take(either, 5);
  assert.deepEqual(fromEither.map((e) => e.id), ["m-2", "m-3", "m-4", "m-5", "m-6"]);
  // A symbol is every market of it.
  const fromBtc = await take(btc, 5);
  assert.deepEqual(fromBtc.map((e) => e.id), ["m-1", "m-2", "m-3", "m-4", "m-6"]);
  for (const reader of [eur, either, btc]) await reader.cancel();
  hub.close();
});

Deno.test("LiveHub.subscribe() with Last-Event-ID sends the buffered events missed since", async () => {
  const hub = new LiveHub({ bootId: "b", replay: 3 });
  const ids = [1, 2, 3, 4, 5].map((n) => hub.publish({ type: "price", price: price("BTC", n) }));
  // Events 4 and 5 were missed after 3; 1-2 are no longer buffered (replay 3 keeps 3, 4, 5).
  const reader = new SseReader(hub.subscribe({ lastEventId: ids[2]! }));
  assert.deepEqual([(await reader.next()).id, (await reader.next()).id], ["b-4", "b-5"]);
  hub.publish({ type: "price", price: price("BTC", 6) });
  assert.equal((await reader.next()).id, "b-6");
  await reader.cancel();
  // An id from an earlier run of the server: everything buffered is newer than it.
  const stale = new SseReader(hub.subscribe({ lastEventId: "zz-99" }));
  assert.deepEqual(
    [(await stale.next()).id, (await stale.next()).id, (await stale.next()).id],
    ["b-4", "b-5", "b-6"],
  );
  await stale.cancel();
  assert.equal(hub.stats.replayed, 5);
  hub.close();
});

Deno.test("LiveHub.publish() drops a client that does not read, never waiting for it", () => {
  const hub = new LiveHub({ clientQueue: 8 });
  const slow = hub.subscribe();
  for (let i = 0; i < 10_000; i++) hub.publish({ type: "price", price: price("BTC", i + 1) });
  assert.equal(hub.stats.dropped, 1);
  assert.equal(hub.stats.clients, 0);
  assert.equal(hub.stats.published.price, 10_000);
  void slow.cancel().catch(() => {});
  hub.close();
});

Deno.test("LiveHub sends a heartbeat comment while clients are connected", async () => {
  const hub = new LiveHub({ heartbeatMs: 20 });
  const stream = hub.subscribe().pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const reading = (async () => {
    for (let r = await stream.read(); !r.done; r = await stream.read()) text += r.value;
  })();
  // However late a loaded machine runs the timer: two come, or the wait fails.
  await waitFor(() => text.split(": heartbeat\n\n").length > 2, {
    message: "two heartbeat comments",
  });
  await stream.cancel();
  await reading;
  hub.close();
});

Deno.test("LiveHub.close() ends every stream", async () => {
  const hub = new LiveHub();
  const reader = new SseReader(hub.subscribe());
  hub.close();
  await assert.rejects(reader.next(), /ended/);
  assert.equal(hub.stats.clients, 0);
});
