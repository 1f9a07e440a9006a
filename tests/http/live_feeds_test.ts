import assert from "node:assert/strict";
import { createClient } from "redis";
import { lagPoller, redisFeed } from "../../http/live_feeds.ts";
import { LiveHub } from "../../http/live_hub.ts";
import { REDIS_TEST_URL, redisTest } from "../support/services.ts";

/** A port where nothing listens. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

/** Waits until `test` holds, polling, or throws after `timeoutMs`. */
async function until(test: () => boolean, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!test()) {
    if (Date.now() - started > timeoutMs) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

redisTest(
  "redisFeed() publishes the prices of crypto:prices to the hub and counts what it refuses",
  async () => {
    const hub = new LiveHub();
    const symbols: string[] = [];
    hub.listen((event) => event.type === "price" && symbols.push(event.price.symbol));
    const feed = redisFeed(REDIS_TEST_URL, hub);
    const publisher = createClient({ url: REDIS_TEST_URL });
    await publisher.connect();
    // Other tests may share this Redis: only this test's symbol and refusals are looked for.
    const symbol = `T${Math.floor(Math.random() * 1e9)}`;
    try {
      // Subscribed once a refused message is counted.
      await until(() => {
        void publisher.publish("crypto:prices", "not json");
        return feed.counts().refused > 0;
      });
      await feed.ready();
      const refused = feed.counts().refused;
      const price = { symbol, price_usd: 50_000, event_time: "2026-01-01T00:00:00.000Z" };
      await publisher.publish("crypto:prices", JSON.stringify(price));
      await publisher.publish("crypto:prices", JSON.stringify({ ...price, price_usd: -1 }));
      await until(() => symbols.includes(symbol) && feed.counts().refused > refused);
      assert.equal(symbols.filter((s) => s === symbol).length, 1);
      assert.ok(feed.counts().events >= 1);
    } finally {
      await publisher.close();
      await feed.close();
      hub.close();
    }
  },
);

Deno.test({
  name: "lagPoller() shows no lag while the broker cannot be reached, and stops when closed",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () => {
    const poller = lagPoller({
      brokers: [`127.0.0.1:${closedPort()}`],
      topic: "t",
      partitions: 1,
      replicationFactor: 1,
      clientId: "lag-poller-test",
      ssl: false,
      sasl: null,
      connectTimeoutMs: 1_000,
    }, { group: "g", topic: "t", everyMs: 50 });
    assert.deepEqual(poller.lag(), []);
    poller.close();
  },
});
