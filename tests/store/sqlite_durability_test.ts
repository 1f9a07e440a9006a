/**
 * What the SQLite store acknowledged survives a power loss: in WAL mode with
 * `synchronous=FULL`, each write's commit is flushed to disk (`fsync` of the write-ahead log)
 * before the write returns, so an offset committed after it never runs ahead of the store. Seen
 * from outside, with strace, on a real file.
 *
 * @module
 */
import assert from "node:assert/strict";
import { inCi } from "../support/ci.ts";

const WRITES = 12;

const strace = await new Deno.Command("strace", { args: ["-V"], stdout: "null", stderr: "null" })
  .output().then((o) => o.success, () => false);

/**
 * Runs `WRITES` writes of the store in a process of their own under strace (each followed by
 * taking the candle it queued off the outbox when `acks`), and counts the flushes of the
 * write-ahead log to disk.
 */
async function walFlushes(acks: boolean): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "crypto-durability-" });
  try {
    const store = new URL("../../store/sqlite.ts", import.meta.url).href;
    const candle = (i: number) => ({
      source: "coinbase",
      product: "BTC-USD",
      symbol: "BTC",
      quote: "USD",
      interval: "1m",
      windowStart: 1_700_000_040_000 + i * 60_000,
      windowEnd: 1_700_000_100_000 + i * 60_000,
      open: 1,
      high: 1,
      low: 1,
      close: 1,
      samples: 1,
      trades: 1,
      volume: 1,
      buyVolume: 1,
      sellVolume: 0,
      vwap: 1,
      firstEvent: 1_700_000_040_000 + i * 60_000,
      lastEvent: 1_700_000_040_000 + i * 60_000,
      closed: true,
      revision: 0,
    });
    const program = `
        import { SqliteCandleStore } from ${JSON.stringify(store)};
        const store = SqliteCandleStore.open(${JSON.stringify(`${dir}/market.db`)});
        const candle = ${candle.toString()};
        for (let i = 0; i < ${WRITES}; i++) {
          await store.write({
            states: [{ market: "coinbase:BTC-USD", epoch: 1, maxEvent: 1_700_000_000_000 + i,
              seen: "" }],
            candles: [candle(i)],
            latest: [{ source: "coinbase", product: "BTC-USD", symbol: "BTC", priceUsd: 100 + i,
              eventTime: 1_700_000_000_000 + i, volume24h: null, marketCap: null,
              priceChange24h: null }],
            publish: [candle(i)],
          });
          if (${acks}) await store.ackCandleOutbox(await store.peekCandleOutbox(10));
          console.log("written");
        }
        if ((await store.peekCandleOutbox(100)).length !== (${acks} ? 0 : ${WRITES})) {
          throw new Error("The outbox does not hold what it should");
        }
        await store.close();
      `;
    const log = `${dir}/strace.log`;
    const run = await new Deno.Command("strace", {
      args: [
        "-f",
        "-y",
        "-e",
        "trace=fsync,fdatasync",
        "-o",
        log,
        Deno.execPath(),
        "eval",
        program,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(run.stdout);
    assert.equal(run.code, 0, new TextDecoder().decode(run.stderr));
    assert.equal(out.trim().split("\n").length, WRITES);
    return (await Deno.readTextFile(log)).split("\n")
      .filter((line) => /f(data)?sync\(\d+<[^>]*market\.db-wal>\)/.test(line)).length;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "SqliteCandleStore flushes the write-ahead log to disk at every write it acknowledges",
  ignore: !strace && !inCi,
  fn: async () => {
    if (!strace) throw new Error("strace is not installed (CI=true)");
    const flushes = await walFlushes(false);
    assert.ok(flushes >= WRITES, `${flushes} flushes of the log for ${WRITES} writes`);
  },
});

Deno.test({
  name:
    "SqliteCandleStore takes published candles off the outbox without waiting for the disk, and every write after still does",
  ignore: !strace && !inCi,
  fn: async () => {
    if (!strace) throw new Error("strace is not installed (CI=true)");
    const flushes = await walFlushes(true);
    // Each write flushes (the acknowledgement before it goes to disk with it); an outbox ack on
    // its own does not, so the count stays below one a transaction.
    assert.ok(flushes >= WRITES, `${flushes} flushes of the log for ${WRITES} writes`);
    assert.ok(
      flushes < WRITES * 1.5,
      `${flushes} flushes of the log for ${WRITES} writes and acks`,
    );
  },
});
