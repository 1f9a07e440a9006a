/**
 * The cap on delivering at a stop (docs/operations.md, "Stopping"): stopped while the broker does
 * not answer, the producing topology gives the Publisher 30 s to deliver, then ends, the prices it
 * could not deliver counted in the summary. The 30 s are the supervisor's clock's, moved by hand.
 *
 * @module
 */
import assert from "node:assert/strict";
import { producerTopology } from "../../actors/producer_topology.ts";
import { loadProducerConfig } from "../../config/produce.ts";
import type { Coin } from "../../config/types.ts";
import type { OutRecord, ProducerTransport } from "../../kafka/transport.ts";
import type { FetchOutcome } from "../../sources/coingecko.ts";
import { captureLogs } from "../support/logs.ts";
import { ManualClock } from "../support/manual_clock.ts";
import { waitFor } from "../support/wait.ts";

/** A broker that takes every send and never answers one (frozen). */
function frozenBroker(): ProducerTransport & { sent: OutRecord[][] } {
  const sent: OutRecord[][] = [];
  return {
    sent,
    connect: () => Promise.resolve(),
    ensureTopic: () => Promise.resolve({ partitions: 3, created: false }),
    disconnect: () => Promise.resolve(),
    send(_topic: string, batch: readonly OutRecord[]) {
      sent.push([...batch]);
      return new Promise(() => {});
    },
  };
}

/** Lets every queued callback run, so a stop that could end has ended. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

Deno.test("Stopped while the broker does not answer, produce waits 30 s for the Publisher to deliver, no less, then ends with the undelivered prices in its summary", async () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 12));
  const config = loadProducerConfig(["--iterations", "1"], () => undefined)!;
  const transport = frozenBroker();
  const client = {
    fetchPrices: (coins: readonly Coin[], cycle: number): Promise<FetchOutcome> =>
      Promise.resolve({
        ticks: coins.map((coin, i) => ({
          coinId: coin.id,
          symbol: coin.symbol,
          priceUsd: 100 + i,
          volume24h: null,
          marketCap: null,
          change24h: null,
          lastUpdated: Math.floor(clock.now() / 1000),
          fetchedAt: clock.now(),
          cycle,
        })),
        skipped: [],
      }),
  };
  const printed: string[] = [];
  let summary: string[] = [];
  const logs = await captureLogs(async () => {
    const { supervisor, report } = producerTopology({
      config,
      client,
      transport,
      partitions: 3,
      print: (line) => printed.push(line),
      clock,
    });
    const running = supervisor.run();
    await waitFor(() => transport.sent.length > 0, { message: "a send to the broker" });

    // Ctrl+C: the stop waits for the Publisher, whose send the broker never answers.
    let stopped = false;
    const stopping = supervisor.stop().then(() => (stopped = true));
    await waitFor(() => clock.pending.includes(30_000), {
      message: `the stop's 30 s for the Publisher (waiting: ${clock.pending})`,
    });
    clock.advance(29_999);
    await settle();
    assert.equal(stopped, false, "the stop ended before the Publisher's 30 s were up");

    // 30 s: the Publisher is aborted, given a second to end, and the stop ends.
    clock.advance(1);
    await waitFor(() => clock.pending.includes(1_000), { message: "the second after aborting" });
    clock.advance(1_000);
    await waitFor(() => stopped, { message: "the stop to end" });
    await stopping;
    await running;
    summary = report.summary();
  });

  // Every price fetched is accounted for as not delivered; those in the unanswered send, as such.
  const fetched = config.coins.length;
  const unanswered = transport.sent.flat().length;
  assert.ok(unanswered >= 1);
  for (
    const line of [
      `Prices fetched: ${fetched}`,
      "Messages produced: 0",
      `Not delivered: ${fetched}`,
      `Of these, sent without an answer from Kafka: ${unanswered}`,
    ]
  ) {
    assert.ok(summary.includes(line), `${line} not in:\n${summary.join("\n")}`);
  }
  assert.deepEqual(
    logs.filter((l) => l.level === "warning").map((l) => l.text),
    ["publisher did not stop within 30000 ms; aborted"],
  );
});
