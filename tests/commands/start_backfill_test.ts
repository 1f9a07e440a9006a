/**
 * `deno task start --backfill 1h` against the stand-ins, over the embedded log: the past hour
 * (Coinbase trades through REST, or CoinGecko's chart) is in the store, through the HTTP API and
 * on the dashboard, while the first live trade's candle is still open; across the boundary
 * between the backfill and the live feed no trade is missing and none is counted twice.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Interval } from "../../market/candle.ts";
import { chromiumInstalled, launchBrowser } from "../http/browser.ts";
import { referenceCandles, tradeFromMatch } from "../support/candle_reference.ts";
import { CoinbaseStub } from "../support/coinbase_stub.ts";
import { CoinGeckoStub } from "../support/coingecko_stub.ts";
import { spawnCommand } from "../support/run.ts";
import { close, until } from "../support/trades.ts";

const INTERVALS: Interval[] = ["1m"];
const HOUR = 3_600_000;

interface ApiCandle {
  source: string;
  product: string;
  window_start: string;
  open: number;
  high: number;
  low: number;
  close: number;
  samples: number;
  trades: number;
  volume: number | null;
  buy_volume: number | null;
  sell_volume: number | null;
  vwap: number | null;
  closed: boolean;
}

async function candlesOf(port: string, symbol: string): Promise<ApiCandle[]> {
  const answer = await fetch(
    `http://127.0.0.1:${port}/api/v1/candles/${symbol}?interval=1m&limit=1000`,
  );
  if (answer.status !== 200) {
    await answer.body?.cancel();
    return [];
  }
  return (await answer.json()).candles;
}

/** The dashboard's chart of a symbol: how many bars it draws. */
async function dashboardBars(port: string, symbol: string): Promise<number> {
  const browser = await launchBrowser();
  try {
    const page = await browser.context.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForSelector(`#chart[data-interval="1m"][data-symbol="${symbol}"]`);
    return Number(await page.getAttribute("#chart", "data-bars"));
  } finally {
    await browser.close();
  }
}

Deno.test({
  name:
    "start --source coinbase --backfill 1h puts the past hour's 1m candles in the store and on the dashboard before the first live trade's candle closes, with no trade missing or twice across the boundary",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    // Two hours of past trades on REST, one every 4 s.
    const stub = await CoinbaseStub.start({
      heartbeatMs: 200,
      historyMs: 2 * HOUR,
      historyPerSecond: 0.25,
    });
    const dir = await Deno.makeTempDir();
    try {
      const startedAt = Date.now();
      const run = spawnCommand("start", {
        args: [
          "--source",
          "coinbase",
          "--products",
          "BTC-USD",
          "--backfill",
          "1h",
          "--store",
          `sqlite:${dir}/market.db`,
          "--intervals",
          INTERVALS.join(","),
          "--idle-timeout",
          "3600",
          "--http",
          "127.0.0.1:0",
        ],
        env: { COINBASE_WS_URL: stub.url, COINBASE_REST_URL: stub.restUrl },
      });
      // Trades made while the backfill reads: after its newest page, before the feed.
      await until("the backfill's first request", () => stub.restRequests.length > 0);
      const boundary = [0, 1, 2].map(() =>
        stub.trade({ product: "BTC-USD", price: "100.5", size: "1" })
      );
      await run.waitFor((out) => out.includes("Subscribed to BTC-USD"));
      const since = startedAt - HOUR;
      assert.match(
        run.stdout(),
        /^Backfill: the past 1h of trades through http:\/\/127\.0\.0\.1:\d+, then live$/m,
      );
      assert.match(
        run.stdout(),
        /^Backfill BTC-USD: \d+ trades from \S+Z to \S+Z in \d+\.\d s, done$/m,
      );
      const port = /Dashboard: http:\/\/127\.0\.0\.1:(\d+)\//.exec(run.stdout())![1]!;
      const live = stub.trade({ product: "BTC-USD", price: "101.25", size: "2" });
      const liveWindow = Math.floor(Date.parse(live.time) / 60_000) * 60_000;

      // The past hour: every whole minute of it, as an independent computation over REST's trades.
      const history = stub.history.get("BTC-USD")!;
      const observations = history.map(tradeFromMatch).filter((o) => o.time >= since);
      const expected = referenceCandles(observations, INTERVALS);
      const firstWhole = Math.ceil(since / 60_000) * 60_000 + 60_000;
      const lastPast = Math.floor(Date.parse(boundary[0]!.time) / 60_000) * 60_000;
      const wanted = [...expected.values()].filter((c) =>
        c.windowStart >= firstWhole && c.windowStart < lastPast
      );
      assert.ok(wanted.length >= 55, `${wanted.length} past minutes`);
      let candles: ApiCandle[] = [];
      await until("the past hour's candles", async () => {
        candles = await candlesOf(port, "BTC");
        return [...wanted.map((w) => w.windowStart), liveWindow].every((start) =>
          candles.some((c) => Date.parse(c.window_start) === start)
        );
      }, 30_000);
      // The first live trade's candle is still open: it closes only once a later trade comes.
      const liveCandle = candles.find((c) => Date.parse(c.window_start) === liveWindow);
      assert.ok(liveCandle, "the live trade's candle");
      assert.equal(liveCandle.closed, false);
      for (const want of wanted) {
        const got = candles.find((c) => Date.parse(c.window_start) === want.windowStart)!;
        assert.deepEqual(
          [
            got.source,
            got.product,
            got.open,
            got.high,
            got.low,
            got.close,
            got.samples,
            got.trades,
          ],
          [
            "coinbase",
            "BTC-USD",
            want.open,
            want.high,
            want.low,
            want.close,
            want.samples,
            want.trades,
          ],
          new Date(want.windowStart).toISOString(),
        );
        assert.ok(close(got.volume, want.volume), `volume ${got.volume} against ${want.volume}`);
        assert.ok(close(got.buy_volume, want.buyVolume), `buy ${got.buy_volume}`);
        assert.ok(close(got.sell_volume, want.sellVolume), `sell ${got.sell_volume}`);
        assert.ok(close(got.vwap, want.vwap), `vwap ${got.vwap} against ${want.vwap}`);
      }
      if (chromiumInstalled) {
        const bars = await dashboardBars(port, "BTC");
        assert.ok(bars >= wanted.length, `${bars} bars on the dashboard`);
      }
      // The feed's last_match showed the boundary's first two trades missing: repaired from REST.
      await until("the boundary's repair", async () => {
        const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        return /^crypto_stage_messages_total\{stage="repairer"\} 2$/m.test(metrics);
      });
      // The boundary's trades again on the feed, as a replay: not published again. A new trade
      // after them tells when they have been read: the trade source's count grows by it alone.
      const tradesPublished = async () => {
        const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        return Number(/^crypto_stage_messages_total\{stage="trades"\} (\d+)$/m.exec(metrics)?.[1]);
      };
      const before = await tradesPublished();
      for (const match of boundary) stub.raw(JSON.stringify(match));
      const last = stub.trade({ product: "BTC-USD", price: "101.5", size: "1" });
      await until("the trade after the replay", async () => (await tradesPublished()) > before);
      assert.equal(await tradesPublished(), before + 1, "the replayed trades published again");

      run.kill("SIGINT");
      const { code, stdout, stderr } = await run.exits("to stop after Ctrl+C");
      assert.equal(code, 0, stdout + stderr);
      // Every id from the first backfilled to the last trade, once. The backfill began between
      // the start and its first request, an hour back: its first trade is one of those then.
      const backfilled = Number(/^Backfilled from REST: (\d+)$/m.exec(stdout)?.[1]);
      const published = Number(/^Trades published: (\d+)$/m.exec(stdout)?.[1]);
      const seeded = history.filter((m) => !boundary.includes(m) && m !== live && m !== last);
      const after = (t: number) => seeded.filter((m) => Date.parse(m.time) >= t).length;
      const most = after(startedAt - HOUR);
      const least = after(stub.restRequests[0]!.at - HOUR);
      assert.ok(least <= backfilled && backfilled <= most, `${backfilled}: ${least}-${most}`);
      assert.equal(published, backfilled + boundary.length + 2);
      assert.match(stdout, /^Repaired from REST: 2 \(lost: 0\)$/m);
      assert.match(stdout, /^Seen twice, published once: 3$/m);
      assert.match(
        stdout,
        new RegExp(`Observations counted: ${published}, repeats: 0, late and dropped: 0`),
      );
    } finally {
      await stub.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "start --backfill 1h (CoinGecko) puts the past hour of each coin's chart in the store, one observation per point, before the live prices",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const stub = await CoinGeckoStub.start();
    stub.chartStepMs = 60_000;
    // Live prices carry the time they are fetched at, after the chart's last point.
    const now = () => Math.floor(Date.now() / 1000);
    for (let i = 0; i < 20; i++) {
      stub.enqueue({
        body: (live: Record<string, Record<string, number>>) => {
          for (const entry of Object.values(live)) entry.last_updated_at = now();
          return live;
        },
      });
    }
    const dir = await Deno.makeTempDir();
    try {
      const startedAt = Date.now();
      const run = spawnCommand("start", {
        args: [
          "--backfill",
          "1h",
          "--coins",
          "bitcoin:BTC,ethereum:ETH",
          "--interval",
          "1",
          "--store",
          `sqlite:${dir}/market.db`,
          "--intervals",
          "1m",
          "--idle-timeout",
          "3600",
          "--http",
          "127.0.0.1:0",
        ],
        env: { COINGECKO_BASE_URL: stub.url, API_RATE_LIMIT_DELAY: "0.2" },
      });
      await run.waitFor((out) => /^Backfill ETH \(ethereum\): \d+ prices .*done$/m.test(out));
      const port = /Dashboard: http:\/\/127\.0\.0\.1:(\d+)\//.exec(run.stdout())![1]!;
      assert.match(
        run.stdout(),
        /^Backfill: the past 1h of prices from CoinGecko's charts, then live$/m,
      );
      const charts = stub.requests.filter((r) => r.url.pathname.includes("/market_chart/range"));
      assert.equal(charts.length, 2);
      const from = Number(charts[0]!.url.searchParams.get("from"));
      const to = Number(charts[0]!.url.searchParams.get("to"));
      assert.ok(Math.abs(from * 1000 - (startedAt - HOUR)) < 30_000, `from ${from}`);
      assert.ok(to - from === 3600 || to - from === 3601, `${to - from} s`);
      assert.equal(charts[0]!.url.searchParams.get("vs_currency"), "usd");

      // The minute the live prices begin in is left out: it holds a live price too.
      const liveWindow = Math.floor((to * 1000 - 1000) / 60_000) * 60_000;
      for (const [symbol, id] of [["BTC", "bitcoin"], ["ETH", "ethereum"]] as const) {
        const points = stub.chartFor(id, from * 1000, to * 1000).prices
          .filter(([t]) => Math.floor(t / 60_000) * 60_000 < liveWindow);
        assert.ok(points.length >= 58, `${points.length} points`);
        let candles: ApiCandle[] = [];
        await until(`${symbol}'s past hour`, async () => {
          candles = await candlesOf(port, symbol);
          return points.every(([t]) =>
            candles.some((c) => Date.parse(c.window_start) === Math.floor(t / 60_000) * 60_000)
          );
        }, 30_000);
        for (const [t, price] of points) {
          const candle = candles.find((c) =>
            Date.parse(c.window_start) === Math.floor(t / 60_000) * 60_000
          )!;
          // One point a minute: each candle of the past hour is that one observation.
          assert.deepEqual([candle.open, candle.close, candle.samples], [price, price, 1]);
        }
      }
      if (chromiumInstalled) {
        const bars = await dashboardBars(port, "BTC");
        assert.ok(bars >= 58, `${bars} bars on the dashboard`);
      }
      run.kill("SIGINT");
      const { code, stdout, stderr } = await run.done;
      assert.equal(code, 0, stdout + stderr);
      assert.match(stdout, /^Prices fetched: \d+$/m);
    } finally {
      await stub.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
