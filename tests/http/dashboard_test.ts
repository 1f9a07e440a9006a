import assert from "node:assert/strict";
import { startHttpServer } from "../../http/server.ts";
import { LiveHub } from "../../http/live_hub.ts";
import type { Candle } from "../../market/candle.ts";
import type { CandleStore } from "../../store/candle_store.ts";
import { SqliteCandleStore } from "../../store/sqlite.ts";
import { browserTest, launchBrowser } from "./browser.ts";
import { alert, busySnapshot, candle, HTML_SYMBOL, latest, NOW, state } from "./support.ts";

const MINUTE = 60_000;
/**
 * How long a live update may take to show before the test fails: a limit on a hang, not a
 * measure (how fast updates show is the bench's figure).
 */
const SHOWS_WITHIN_MS = 15_000;

/** Coinbase's BTC-EUR over the last hour: a trade candle a minute but each 6th from the 3rd. */
function eurTrades(): Candle[] {
  const out: Candle[] = [];
  for (let i = 0; i < 60; i++) {
    if (i % 6 === 3) continue;
    const close = 41_000 + 10 * Math.sin(i / 5);
    out.push(candle("coinbase:BTC-EUR", "1m", NOW - (60 - i) * MINUTE, {
      open: close - 4,
      high: close + 6,
      low: close - 8,
      close,
      samples: 5,
      trades: 5,
      volume: 3 + (i % 4),
      buyVolume: 2 + (i % 4),
      sellVolume: 1,
      vwap: close - 1,
    }));
  }
  return out;
}

/** The quiet minutes of {@linkcode eurTrades}. */
const EUR_QUIET = Array.from({ length: 60 }, (_, i) => i).filter((i) => i % 6 === 3).length;

/**
 * A seeded random walk of one-minute candles ending at NOW, and its five-minute candles
 * (CoinGecko's BTC-USD), and Coinbase's BTC-EUR trades.
 */
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
  await store.write({
    states: [state("BTC"), state("ETH"), state("coinbase:BTC-EUR")],
    candles: [...minutes, ...fives, ...eurTrades()],
    latest: [
      latest("BTC", price),
      { ...latest("ETH", 3198.23), priceChange24h: -1.2 },
      latest("coinbase:BTC-EUR", 41_000.5, NOW - 60_000),
    ],
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
  "dashboard: loads without console errors, updates live, switches interval and market, shows markup as text",
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
      // The first symbol's market with the most recent price: CoinGecko's BTC-USD.
      assert.equal(await page.getAttribute("#chart", "data-market"), "coingecko:BTC-USD");
      assert.equal(await page.getAttribute("#chart", "data-bars"), "180");
      // Price snapshots have no volume: no sell bars, no filled windows.
      assert.equal(await page.getAttribute("#chart", "data-sell-bars"), "0");
      assert.equal(await page.getAttribute("#chart", "data-filled"), "0");
      // The picker names every market by product and source.
      assert.deepEqual(await page.locator("#market option").allTextContents(), [
        "BTC-EUR · Coinbase",
        "BTC-USD · CoinGecko",
        "ETH-USD · CoinGecko",
      ]);
      // Each market's card shows its price in its quote currency.
      assert.equal(
        await page.textContent('[data-market="coinbase:BTC-EUR"] .price'),
        "€41,000.50",
      );
      assert.equal(await page.textContent('[data-market="coinbase:BTC-EUR"] .source'), "Coinbase");
      assert.match(
        await page.textContent('[data-market="coingecko:BTC-USD"] .price') ?? "",
        /^\$\d{2},\d{3}\.\d{2}$/,
      );
      assert.ok(requests.every((url) => url.startsWith(base)), "every asset is local");

      // A price published after the page opened shows in its card.
      hub.publish({
        type: "price",
        price: { ...latest("BTC", 46_000.12), priceChange24h: -0.87, eventTime: NOW + 1000 },
      });
      await page.locator('[data-market="coingecko:BTC-USD"] .price', {
        hasText: /^\$46,000\.12$/,
      }).waitFor({ timeout: SHOWS_WITHIN_MS });
      assert.equal(
        await page.textContent('[data-market="coingecko:BTC-USD"] .change'),
        "-0.87% 24h",
      );
      // A price of a market not seen before gets its card, in its currency.
      hub.publish({ type: "price", price: latest("coinbase:ETH-GBP", 2500.25, NOW + 1000) });
      await page.locator('[data-market="coinbase:ETH-GBP"] .price', { hasText: "£2,500.25" })
        .waitFor({ timeout: SHOWS_WITHIN_MS });

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
        timeout: SHOWS_WITHIN_MS,
      });
      assert.equal(await page.getAttribute("#chart", "data-bars"), "181");
      assert.equal(await page.getAttribute("#chart", "data-last-close"), "46050");

      // The interval switch loads the chart again.
      await page.click('button[data-interval="5m"]');
      await page.waitForSelector('#chart[data-interval="5m"]');
      assert.equal(await page.getAttribute("#chart", "data-bars"), "36");
      assert.ok(
        requests.some((url) =>
          url.includes("/api/v1/candles/BTC-USD?source=coingecko&interval=5m")
        ),
      );

      // Picking another market loads its candles: trades, with buy and sell volume in two
      // colours, and its quiet minutes filled flat and drawn hollow.
      await page.click('button[data-interval="1m"]');
      await page.waitForSelector('#chart[data-interval="1m"][data-market="coingecko:BTC-USD"]');
      const before = await page.getAttribute("#chart", "data-last-close");
      await page.selectOption("#market", "coinbase:BTC-EUR");
      await page.waitForSelector('#chart[data-market="coinbase:BTC-EUR"][data-interval="1m"]');
      assert.ok(
        requests.some((url) =>
          url.includes(
            "/api/v1/candles/BTC-EUR?source=coinbase&interval=1m&limit=500&fill=previous",
          )
        ),
        "the picked market's candles were asked for",
      );
      const eurLast = eurTrades().at(-1)!;
      assert.notEqual(await page.getAttribute("#chart", "data-last-close"), before);
      assert.equal(await page.getAttribute("#chart", "data-last-close"), String(eurLast.close));
      assert.equal(await page.getAttribute("#chart", "data-quote"), "EUR");
      assert.equal(await page.getAttribute("#chart", "data-bars"), "60");
      assert.equal(await page.getAttribute("#chart", "data-filled"), String(EUR_QUIET));
      assert.equal(await page.getAttribute("#chart", "data-hollow"), String(EUR_QUIET));
      assert.equal(await page.getAttribute("#chart", "data-buy-bars"), String(60 - EUR_QUIET));
      assert.equal(await page.getAttribute("#chart", "data-sell-bars"), String(60 - EUR_QUIET));
      assert.equal(
        (await page.getAttribute("#chart", "data-volume-colors"))?.split(" ").length,
        2,
        "buy and sell volume in two colours",
      );
      assert.ok(
        await page.locator('.card[data-market="coinbase:BTC-EUR"]').evaluate((card) =>
          card.classList.contains("selected")
        ),
      );
      // A live trade candle after two quiet minutes: the quiet ones are drawn hollow too.
      hub.publish({
        type: "candle",
        candle: candle("coinbase:BTC-EUR", "1m", NOW + 2 * MINUTE, {
          open: 41_004,
          high: 41_012,
          low: 40_998,
          close: 41_010,
        }),
      });
      await page.waitForSelector('#chart[data-last-close="41010"]', { timeout: SHOWS_WITHIN_MS });
      assert.equal(await page.getAttribute("#chart", "data-bars"), "63");
      assert.equal(await page.getAttribute("#chart", "data-filled"), String(EUR_QUIET + 2));

      // A symbol that is markup shows as those characters and makes no element.
      hub.publish({ type: "price", price: latest(HTML_SYMBOL, 1.25) });
      hub.publish({
        type: "alert",
        alert: alert(HTML_SYMBOL, NOW, { changePct: 7.5, price: 1.25, createdAt: NOW + 1 }),
      });
      const markup = page.locator(".card .symbol", { hasText: HTML_SYMBOL });
      await markup.waitFor({ timeout: SHOWS_WITHIN_MS });
      assert.equal(await markup.textContent(), HTML_SYMBOL);
      await page.locator("#alerts li", { hasText: HTML_SYMBOL }).first().waitFor({
        timeout: SHOWS_WITHIN_MS,
      });
      assert.equal(await page.locator("img").count(), 0);

      // The pipeline panel shows throughput, lag and restarts.
      await page.locator("#lag tbody tr").first().waitFor();
      // Each row names the consumer group, and what reads through it.
      assert.deepEqual(
        await page.locator("#lag tbody tr").first().locator("td").allTextContents(),
        ["g (candles)", "crypto-prices", "0", "10"],
      );
      assert.match(await page.textContent("#pipeline-totals") ?? "", /actor restarts\s*2/);

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
