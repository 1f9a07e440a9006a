/**
 * The dashboard in real Chromium against a server that asks for a token: the `#token=…` it is
 * opened with goes on every API request, the live stream's included, and out of the address
 * bar; when the stream's connection drops, the page connects again with `Last-Event-ID` and
 * shows the events published while it was away.
 *
 * @module
 */
import assert from "node:assert/strict";
import { startHttpServer } from "../../http/server.ts";
import { LiveHub } from "../../http/live_hub.ts";
import { SqliteCandleStore } from "../../store/sqlite.ts";
import { FreezableProxy } from "../support/tcp_proxy.ts";
import { waitFor } from "../support/wait.ts";
import { browserTest, launchBrowser } from "./browser.ts";
import { alert, busySnapshot, fill, latest, NOW } from "./support.ts";

/** A request of the page to the API, as the browser sent it. */
interface ApiRequest {
  path: string;
  authorization: string | undefined;
  lastEventId: string | undefined;
}

browserTest(
  "dashboard: opened with #token=…, it sends the token on every API request, the stream's too; a dropped stream reconnects with Last-Event-ID and shows what was published meanwhile",
  async () => {
    const token = "dash-reconnect-1618033988";
    const store = SqliteCandleStore.open(":memory:");
    await fill(store);
    const hub = new LiveHub();
    const server = await startHttpServer({
      config: { hostname: "127.0.0.1", port: 0, token },
      store,
      hub,
      pipeline: busySnapshot,
      readiness: {},
      // No pipeline events: the only events are the ones this test publishes.
      pipelineEveryMs: 0,
      cacheMs: 0,
    });
    // The page reaches the server through a forwarder that can drop its connections and hold
    // new ones.
    const proxy = new FreezableProxy(`127.0.0.1:${server.addr.port}`);
    const browser = await launchBrowser();
    try {
      const page = await browser.context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(String(error)));
      const api: ApiRequest[] = [];
      page.on("request", (request) => {
        const url = new URL(request.url());
        if (!url.pathname.startsWith("/api/")) return;
        const headers = request.headers();
        api.push({
          path: url.pathname + url.search,
          authorization: headers["authorization"],
          lastEventId: headers["last-event-id"],
        });
      });
      const streams = () => api.filter((r) => r.path.startsWith("/api/v1/stream"));
      const base = `http://127.0.0.1:${proxy.port}/`;

      await page.goto(`${base}#token=${token}`);
      await page.waitForSelector('body[data-ready="true"]');
      await page.waitForSelector("#status.live");
      // The token is out of the address bar, and was never in a request's URL.
      assert.equal(await page.evaluate(() => globalThis.location.href), base);
      assert.equal(streams().length, 1);
      assert.equal(streams()[0]!.lastEventId, undefined);

      // An event the page sees: the last one before the connection drops.
      const seen = hub.publish({ type: "price", price: latest("BTC", 46_000.12, NOW + 1000) });
      const btcPrice = page.locator('[data-market="coingecko:BTC-USD"] .price');
      await btcPrice.filter({ hasText: /^\$46,000\.12$/ }).waitFor({ timeout: 10_000 });

      // The connection drops; the page's next one is held at the forwarder.
      proxy.freeze();
      proxy.cut();
      await page.waitForSelector("#status:not(.live)", { timeout: 10_000 });
      await waitFor(() => streams().length >= 2, {
        message: "the dashboard to open the live stream again",
      });
      assert.equal(streams()[1]!.lastEventId, seen);

      // Published while the page is away: it gets them only by asking for what it missed.
      hub.publish({ type: "price", price: latest("BTC", 46_500.55, NOW + 2000) });
      hub.publish({
        type: "alert",
        alert: alert("SOL", NOW, { kind: "anomaly", zscore: 4.2, createdAt: NOW + 2000 }),
      });
      proxy.thaw();
      await page.waitForSelector("#status.live", { timeout: 10_000 });
      await btcPrice.filter({ hasText: /^\$46,500\.55$/ }).waitFor({ timeout: 10_000 });
      await page.locator("#alerts li", { hasText: "SOL-USD CoinGecko 1m anomaly" })
        .waitFor({ timeout: 10_000 });
      assert.ok(hub.stats.replayed >= 2, `${hub.stats.replayed} events replayed`);

      // Every reconnection named the last event seen; every API request carried the token.
      for (const stream of streams().slice(1)) assert.equal(stream.lastEventId, seen);
      assert.ok(api.length >= 7, `${api.length} API requests`);
      for (const request of api) {
        assert.equal(request.authorization, `Bearer ${token}`, request.path);
        assert.doesNotMatch(request.path, /token/);
      }
      assert.doesNotMatch(page.url(), /token/);
      assert.deepEqual(errors, []);
    } finally {
      proxy.thaw();
      await browser.close();
      await proxy.close();
      await server.shutdown();
      await store.close();
    }
  },
);
