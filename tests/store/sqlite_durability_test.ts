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

Deno.test({
  name: "SqliteCandleStore flushes the write-ahead log to disk at every write it acknowledges",
  ignore: !strace && !inCi,
  fn: async () => {
    if (!strace) throw new Error("strace is not installed (CI=true)");
    const dir = await Deno.makeTempDir({ prefix: "crypto-durability-" });
    try {
      const store = new URL("../../store/sqlite.ts", import.meta.url).href;
      const program = `
        import { SqliteCandleStore } from ${JSON.stringify(store)};
        const store = SqliteCandleStore.open(${JSON.stringify(`${dir}/market.db`)});
        for (let i = 0; i < ${WRITES}; i++) {
          await store.write({
            states: [{ market: "coinbase:BTC-USD", epoch: 1, maxEvent: 1_700_000_000_000 + i,
              seen: "" }],
            candles: [],
            latest: [{ source: "coinbase", product: "BTC-USD", symbol: "BTC", priceUsd: 100 + i,
              eventTime: 1_700_000_000_000 + i, volume24h: null, marketCap: null,
              priceChange24h: null }],
            publish: [],
          });
          console.log("written");
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
      const walSyncs = (await Deno.readTextFile(log)).split("\n")
        .filter((line) => /f(data)?sync\(\d+<[^>]*market\.db-wal>\)/.test(line)).length;
      assert.ok(walSyncs >= WRITES, `${walSyncs} flushes of the log for ${WRITES} writes`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
