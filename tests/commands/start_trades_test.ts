/**
 * `deno task start --source coinbase`: the trade source into the embedded log (topic
 * `crypto-trades`), the candles reading it into the store; volume and VWAP equal an independent
 * computation. No broker needed.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Interval } from "../../market/candle.ts";
import { CoinbaseStub } from "../support/coinbase_stub.ts";
import { referenceCandles, referenceKey } from "../support/candle_reference.ts";
import { spawnCommand } from "../support/run.ts";
import { candleTable } from "../support/candle_table.ts";
import { close, sentObservations, tradeScript, until } from "../support/trades.ts";

const INTERVALS: Interval[] = ["1m"];

Deno.test({
  name:
    "start --source coinbase puts the feed's trades on the embedded log's crypto-trades and makes candles of them, volume and VWAP as an independent computation gives",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const stub = await CoinbaseStub.start({ heartbeatMs: 200 });
    const dir = await Deno.makeTempDir();
    const store = `sqlite:${dir}/market.db`;
    try {
      const run = spawnCommand("start", {
        args: [
          "--source",
          "coinbase",
          "--products",
          "BTC-USD,ETH-USD",
          "--store",
          store,
          "--intervals",
          INTERVALS.join(","),
          "--idle-timeout",
          "3600",
          "--http",
          "127.0.0.1:0",
        ],
        env: { COINBASE_WS_URL: stub.url },
      });
      await run.waitFor((out) => out.includes("Subscribed to BTC-USD, ETH-USD"));
      const port = /Dashboard: http:\/\/127\.0\.0\.1:(\d+)\//.exec(run.stdout())![1];
      const script = tradeScript({
        seed: 5,
        products: ["BTC-USD", "ETH-USD"],
        start: Date.UTC(2025, 10, 12, 9, 58, 30),
        perProduct: 150,
        maxStepMs: 3_000,
      });
      for (const trade of script) stub.trade(trade);
      // The pipeline view tells when the aggregator has read every trade.
      let pipeline: {
        stages: { name: string; messages: number }[];
        fetch: { ok: number; last_outcome: string };
      } | null = null;
      await until("the aggregator to read every trade", async () => {
        const answer = await fetch(`http://127.0.0.1:${port}/api/v1/pipeline`);
        pipeline = await answer.json();
        return pipeline!.stages.find((s) => s.name === "aggregator")?.messages === script.length;
      });
      const { "candle-sink": sinkWrites, alerter: examinedSoFar, ...source } = Object.fromEntries(
        pipeline!.stages.map((s) => [s.name, s.messages]),
      );
      // The trade source's stages, and the candle side's (whose alerter counts closed candles).
      assert.deepEqual(source, {
        trades: script.length,
        repairer: 0,
        publisher: script.length,
        aggregator: script.length,
      });
      assert.ok(sinkWrites! >= 1, `candle-sink: ${sinkWrites} writes`);
      assert.ok(examinedSoFar! >= 1, `alerter: ${examinedSoFar} candles examined`);
      assert.equal(pipeline!.fetch.ok, 1);
      assert.equal(pipeline!.fetch.last_outcome, "ok");
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      assert.equal(ready.status, 200, await ready.text());

      // The stop writes the open candles before it ends.
      run.kill("SIGINT");
      const { code, stdout, stderr } = await run.exits("to stop after Ctrl+C");
      assert.equal(code, 0, stdout + stderr);
      assert.match(stdout, /^Topic: crypto-trades$/m);
      assert.match(stdout, /^BTC-USD: \d+ trades?, last \$[\d,.]+, volume [\d.]+ BTC$/m);
      assert.doesNotMatch(stdout, /^Message #/m, "trades are not printed one by one");
      assert.match(stdout, new RegExp(`^Trades published: ${script.length}$`, "m"));
      assert.match(stdout, new RegExp(`Records read: ${script.length} \\(refused when read: 0\\)`));
      assert.match(
        stdout,
        /^Candle coinbase BTC-USD 1m 2025-11-12T09:59:00Z O \$[\d,.]+ .*\(\d+ trades, buy [\d,.]+ sell [\d,.]+\)$/m,
      );
      // The stages' counts against the summary, the console and the store: the sink's writes so
      // far are among those made in all, and the alerter examined each closed candle, once.
      const [, writes] = /Store writes: (\d+) \(\d+ candle rows\)/.exec(stdout) ?? [];
      assert.ok(sinkWrites! <= Number(writes), `${sinkWrites} writes then, ${writes} in all`);
      const examined = Number(/Candles examined: (\d+)/.exec(stdout)?.[1]);
      const printed = stdout.match(/^Candle \w+ \S+ \w+ /gm)?.length ?? 0;
      assert.ok(examinedSoFar! <= examined, `${examinedSoFar} examined then, ${examined} in all`);
      assert.equal(examined, printed, "candles examined against closed candles printed");

      const expected = referenceCandles(sentObservations(stub), INTERVALS);
      const rows = await candleTable(store, INTERVALS);
      assert.equal(rows.length, expected.size);
      assert.equal(rows.filter((c) => c.closed).length, printed, "closed rows against printed");
      for (
        const {
          closed: _closed,
          revision: _revision,
          volume,
          buyVolume,
          sellVolume,
          vwap,
          ...fields
        } of rows
      ) {
        const want = expected.get(referenceKey(fields))!;
        const {
          volume: wantVolume,
          buyVolume: wantBuy,
          sellVolume: wantSell,
          vwap: wantVwap,
          ...wantFields
        } = want;
        assert.deepEqual(fields, wantFields);
        assert.ok(close(volume, wantVolume), `volume ${volume} against ${wantVolume}`);
        assert.ok(close(buyVolume, wantBuy), `buy volume ${buyVolume} against ${wantBuy}`);
        assert.ok(close(sellVolume, wantSell), `sell volume ${sellVolume} against ${wantSell}`);
        assert.ok(close(vwap, wantVwap), `vwap ${vwap} against ${wantVwap}`);
      }
    } finally {
      await stub.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
