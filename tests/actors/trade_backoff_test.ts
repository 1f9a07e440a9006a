/**
 * The trade feed's reconnection backoff (docs/trades.md, "Reconnecting"): 0.5 s doubling to 30 s,
 * with jitter, reset once the feed delivers — the delays themselves, as waited on the clock and as
 * the warning lines say, over real connections (a port nobody listens on, and the feed's
 * stand-in). The clock is moved by hand and the jitter's random numbers are chosen.
 *
 * @module
 */
import assert from "node:assert/strict";
import { logSupervisorEvent } from "../../actors/producer_topology.ts";
import { tradeChildren } from "../../actors/trade_topology.ts";
import { loadProducerConfig } from "../../config/produce.ts";
import type { Delivery, OutRecord, ProducerTransport } from "../../kafka/transport.ts";
import { Supervisor } from "../../runtime/supervisor.ts";
import { CoinbaseStub } from "../support/coinbase_stub.ts";
import { captureLogs } from "../support/logs.ts";
import { ManualClock } from "../support/manual_clock.ts";
import { freePort } from "../support/services.ts";
import { waitFor } from "../support/wait.ts";

/** A broker that acknowledges everything. */
function acknowledging(): ProducerTransport & { records: OutRecord[] } {
  const records: OutRecord[] = [];
  return {
    records,
    connect: () => Promise.resolve(),
    ensureTopic: () => Promise.resolve({ partitions: 3, created: false }),
    disconnect: () => Promise.resolve(),
    send(_topic: string, batch: readonly OutRecord[]): Promise<Delivery[]> {
      records.push(...batch);
      return Promise.resolve(batch.map((r, i) => ({ partition: r.partition, offset: `${i}` })));
    },
  };
}

/** The documented curve: 0.5 s doubling to 30 s, less up to half at random. */
function documented(attempt: number, random: number): number {
  return Math.min(30_000, 500 * 2 ** (attempt - 1)) * (1 - 0.5 * random);
}

Deno.test("tradeSource() waits 0.5 s doubling to 30 s, less its jitter, between attempts, and starts again from 0.5 s once the feed has delivered, not merely accepted the connection", async () => {
  const stub = await CoinbaseStub.start({ heartbeatMs: 0 });
  const nobody = `ws://127.0.0.1:${freePort()}`;
  let target = nobody;
  // The clock starts on the hour, so the console's once-an-hour tick never wakes meanwhile.
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 12));
  const randoms = [0, 0.5, 0.999, 0.25, 0, 0.1, 0, 0.8, 0, 0, 0.5];
  let drawn = 0;
  const random = () => randoms[drawn++ % randoms.length]!;
  const config = loadProducerConfig(
    ["--source", "coinbase", "--products", "BTC-USD"],
    (name) =>
      ({
        COINBASE_WS_URL: nobody,
        COINBASE_REST_URL: stub.restUrl,
        COINBASE_STALE_AFTER: "600",
      })[name],
  )!;
  const transport = acknowledging();
  const waited: { attempt: number; ms: number; random: number }[] = [];
  const logs = await captureLogs(async () => {
    const topology = tradeChildren({
      config,
      transport,
      partitions: 3,
      print: () => {},
      clock,
      tickMs: 3_600_000,
      backoff: { random },
      connect: (_url) => new WebSocket(target),
    });
    const supervisor = new Supervisor(topology.children, { onEvent: logSupervisorEvent });
    const running = supervisor.run();
    const { report } = topology;
    /** The wait after the next failed connection, as seen on the clock (not yet let pass). */
    const retry = async (attempt: number) => {
      const disconnects = report.totals.disconnects + 1;
      // The backoff's sleep, told from the staleness limit (600 s) and the tick (an hour).
      const backoff = () => clock.pending.filter((ms) => ms <= 30_000);
      await waitFor(() => report.totals.disconnects === disconnects && backoff().length === 1, {
        message: `the wait before attempt ${attempt} (pending: ${clock.pending})`,
      });
      const [ms] = backoff();
      waited.push({ attempt, ms: ms!, random: randoms[(drawn - 1) % randoms.length]! });
      return ms!;
    };
    try {
      // Nobody listens: eight attempts fail, each waiting twice as long, up to 30 s.
      for (let attempt = 1; attempt <= 7; attempt++) clock.advance(await retry(attempt));

      // Connected and subscribed, but closed before a trade or a heartbeat: no reset.
      const eighth = await retry(8);
      target = stub.url;
      clock.advance(eighth);
      await waitFor(() => stub.subscribed === 1, { message: "the subscription" });
      target = nobody;
      stub.drop();
      const ninth = await retry(9);

      // Connected, and the feed delivers a trade: the next failure starts again from 0.5 s.
      target = stub.url;
      clock.advance(ninth);
      await waitFor(() => stub.subscribed === 1, { message: "the second subscription" });
      stub.trade({ product: "BTC-USD", price: "100", size: "1" });
      await waitFor(() => transport.records.length === 1, { message: "the trade delivered" });
      target = nobody;
      stub.drop();
      clock.advance(await retry(1));
      await retry(2);
    } finally {
      await supervisor.stop();
      await running;
      await stub.close();
    }
  });

  for (const { attempt, ms, random } of waited) {
    assert.ok(
      Math.abs(ms - documented(attempt, random)) < 1e-6,
      `attempt ${attempt}: waited ${ms} ms, documented ${documented(attempt, random)} ms`,
    );
  }
  assert.deepEqual(waited.map((w) => w.attempt), [1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2]);
  // Without jitter the 7th, 8th and 9th waits are the cap.
  assert.deepEqual(
    waited.filter((w) => w.random === 0).map((w) => [w.attempt, w.ms]),
    [[1, 500], [5, 8_000], [7, 30_000], [9, 30_000], [1, 500]],
  );
  const warnings = logs.filter((l) => l.text.startsWith("Coinbase feed: "));
  assert.deepEqual(
    warnings.map((l) => /reconnecting in (\d+\.\d) s \(attempt (\d+)\)$/.exec(l.text)?.slice(1)),
    waited.map((w) => [(w.ms / 1000).toFixed(1), String(w.attempt)]),
  );
});
