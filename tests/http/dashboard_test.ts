import assert from "node:assert/strict";
import { startHttpServer } from "../../http/server.ts";
import { LiveHub } from "../../http/live_hub.ts";
import type { Candle } from "../../market/candle.ts";
import type { CandleStore } from "../../store/candle_store.ts";
import { SqliteCandleStore } from "../../store/sqlite.ts";
import { browserTest, launchBrowser } from "./browser.ts";
import { alert, busySnapshot, candle, HTML_SYMBOL, latest, NOW } from "./support.ts";

const MINUTE = 60_000;

/** A seeded random walk of one-minute candles ending at NOW, and its five-minute candles. */
async function fillMarket(store: CandleStore): Promise<void> {
  let seed = 7;
  const random = () => {
    seed = (seed * 16_807) % 2_147_483_647;
    return seed / 2_147_483_647;
  };
  const minutes: Candle[] = [];
  let price = 45_000;
  for (let i = 0; i < 180; i++) {
    const open = price;
    const close = open * (1 + (random() - 0.48) * 0.004);
    const high = Math.max(open, close) * (1 + random() * 0.0015);
    const low = Math.min(open, close) * (1 - random() * 0.0015);
    minutes.push(
      candle("BTC", "1m", NOW - (180 - i) * MINUTE, {
        open,
        high,
        low,
        close,
        samples: 1 + Math.floor(random() * 12),
      }),
    );
    price = close;
  }
  const fives: Candle[] = [];
  for (let i = 0; i < minutes.length; i += 5) {
    const group = minutes.slice(i, i + 5);
    fives.push(candle("BTC", "5m", group[0]!.windowStart, {
      open: group[0]!.open,
      close: group.at(-1)!.close,
      high: Math.max(...group.map((c) => c.high)),
      low: Math.min(...group.map((c) => c.low)),
      samples: group.reduce((sum, c) => sum + c.samples, 0),
    }));
  }
  const state = (symbol: string) => ({
    symbol,
    maxEvent: NOW,
    seen: "",
    epoch: 1,
  });
  await store.write({
    states: [state("BTC"), state("ETH")],
    candles: [...minutes, ...fives],
    latest: [latest("BTC", price), { ...latest("ETH", 3198.23), priceChange24h: -1.2 }],
    publish: [],
  });
  await store.insertAlerts([
    alert("BTC", NOW - 42 * MINUTE, { changePct: 5.4, price: 45_310.5 }),
    alert("ETH", NOW - 17 * MINUTE, {
      kind: "anomaly",
      direction: "down",
      changePct: -2.1,
      zscore: -4.6,
      price: 3188.4,
    }),
  ]);
}

browserTest(
  "dashboard: loads without console errors, updates live, switches interval, shows markup as text",
  async () => {
    const store = SqliteCandleStore.open(":memory:");
    await fillMarket(store);
    const hub = new LiveHub();
    const server = await startHttpServer({
      config: { hostname: "127.0.0.1", port: 0, token: null },
      store,
      hub,
      pipeline: busySnapshot,
      readiness: {},
      pipelineEveryMs: 500,
      cacheMs: 0,
    });
    const browser = await launchBrowser();
    try {
      const page = await browser.context.newPage();
      const errors: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error") errors.push(message.text());
      });
      page.on("pageerror", (error) => errors.push(String(error)));
      page.on("dialog", (dialog) => {
        errors.push(`dialog: ${dialog.message()}`);
        void dialog.dismiss();
      });
      const base = `http://127.0.0.1:${server.addr.port}`;
      const requests: string[] = [];
      page.on("request", (request) => requests.push(request.url()));

      await page.goto(`${base}/`);
      await page.waitForSelector('body[data-ready="true"]');
      await page.waitForSelector("#status.live");
      await page.waitForSelector('#chart[data-interval="1m"][data-symbol="BTC"]');
      assert.equal(await page.getAttribute("#chart", "data-bars"), "180");
      assert.ok(requests.every((url) => url.startsWith(base)), "every asset is local");

      // A price published after the page opened shows in its card within 2 s.
      const published = performance.now();
      hub.publish({
        type: "price",
        price: { ...latest("BTC", 46_000.12), priceChange24h: -0.87, eventTime: NOW + 1000 },
      });
      await page.locator('[data-symbol="BTC"] .price', { hasText: /^\$46,000\.12$/ })
        .waitFor({ timeout: 2000 });
      assert.ok(performance.now() - published < 2000);
      assert.equal(await page.textContent('[data-symbol="BTC"] .change'), "-0.87% 24h");

      // A closed candle appears on the chart.
      hub.publish({
        type: "candle",
        candle: candle("BTC", "1m", NOW, {
          open: 46_000,
          high: 46_100,
          low: 45_900,
          close: 46_050,
        }),
      });
      await page.waitForSelector('#chart[data-last-time="2025-11-12T12:00:00.000Z"]', {
        timeout: 2000,
      });
      assert.equal(await page.getAttribute("#chart", "data-bars"), "181");
      assert.equal(await page.getAttribute("#chart", "data-last-close"), "46050");

      // The interval switch loads the chart again.
      await page.click('button[data-interval="5m"]');
      await page.waitForSelector('#chart[data-interval="5m"]');
      assert.equal(await page.getAttribute("#chart", "data-bars"), "36");
      assert.ok(requests.some((url) => url.includes("/api/v1/candles/BTC?interval=5m")));

      // A symbol that is markup shows as those characters and makes no element.
      hub.publish({ type: "price", price: latest(HTML_SYMBOL, 1.25) });
      hub.publish({
        type: "alert",
        alert: alert(HTML_SYMBOL, NOW, { changePct: 7.5, price: 1.25, createdAt: NOW + 1 }),
      });
      const markup = page.locator(".card .symbol", { hasText: HTML_SYMBOL });
      await markup.waitFor({ timeout: 2000 });
      assert.equal(await markup.textContent(), HTML_SYMBOL);
      await page.locator("#alerts li", { hasText: HTML_SYMBOL }).first().waitFor({ timeout: 2000 });
      assert.equal(await page.locator("img").count(), 0);

      // The pipeline panel shows throughput, lag and restarts.
      await page.locator("#lag tbody tr").first().waitFor();
      // Each row names the consumer group, and what reads through it.
      assert.deepEqual(
        await page.locator("#lag tbody tr").first().locator("td").allTextContents(),
        ["g (candles)", "crypto-prices", "0", "10"],
      );
      assert.match(await page.textContent("#pipeline-totals") ?? "", /actor restarts\s*2/);

      await page.click('button[data-interval="1m"]');
      await page.waitForSelector('#chart[data-interval="1m"]');
      await page.waitForTimeout(300);
      // A temporary file, so a test run rewrites no tracked file; `deno task screenshot` sets
      // DASHBOARD_SCREENSHOT=docs/dashboard.png to refresh the README's picture.
      const shot = Deno.env.get("DASHBOARD_SCREENSHOT") ??
        await Deno.makeTempFile({ prefix: "dashboard-", suffix: ".png" });
      await page.screenshot({ path: shot });
      assert.ok((await Deno.stat(shot)).size > 10_000, `screenshot ${shot} is nearly empty`);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await server.shutdown();
      await store.close();
    }
  },
);
