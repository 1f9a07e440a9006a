import assert from "node:assert/strict";
import { publisher } from "../../actors/publisher.ts";
import type { EncodedPrice } from "../../market/messages/price_message.ts";
import type { PriceTick } from "../../market/price_tick.ts";
import { ProduceReport } from "../../report/produce_report.ts";
import {
  type Delivery,
  DeliveryError,
  type OutRecord,
  type ProducerTransport,
} from "../../kafka/transport.ts";
import { noOutbox } from "../../runtime/actor.ts";
import { Channel } from "../../runtime/channel.ts";
import { waitFor } from "../support/wait.ts";
import { FakeClock } from "../support/fake_clock.ts";

function encoded(symbol: string, cycle: number): EncodedPrice {
  const tick: PriceTick = {
    coinId: symbol.toLowerCase(),
    symbol,
    priceUsd: 100,
    volume24h: null,
    marketCap: null,
    change24h: null,
    lastUpdated: null,
    fetchedAt: 0,
    cycle,
  };
  return { tick, key: symbol, value: "{}", headers: {}, timestamp: 0 };
}

/** A broker that answers each send with the next scripted outcome. */
function scriptedTransport(outcomes: ("away" | "ack")[]): ProducerTransport {
  let offset = 0;
  return {
    connect: () => Promise.resolve(),
    ensureTopic: () => Promise.resolve({ partitions: 1, created: false }),
    disconnect: () => Promise.resolve(),
    send(_topic: string, records: readonly OutRecord[]): Promise<Delivery[]> {
      if (outcomes.shift() === "away") {
        return Promise.reject(new DeliveryError("Kafka is unavailable", { retriable: true }));
      }
      return Promise.resolve(records.map(() => ({ partition: 0, offset: String(offset++) })));
    },
  } as ProducerTransport;
}

Deno.test("publisher() counts a batch whose sends failed as sent without an answer, until acknowledged", async () => {
  const clock = new FakeClock();
  const report = new ProduceReport(() => {}, clock);
  const inbox = new Channel<EncodedPrice>(10);
  const messages = [encoded("BTC", 1), encoded("ETH", 1)];
  report.cycleStarted(1);
  for (const m of messages) {
    report.fetched(m.tick);
    await inbox.send(m);
  }
  report.cycleFetched(1, 2, null);
  const controller = new AbortController();
  const actor = publisher({
    transport: scriptedTransport(["away", "away", "ack"]),
    topic: "t",
    partitions: 1,
    report,
    clock,
    retryMinMs: 1,
    retryMaxMs: 1,
  });
  const run = actor(inbox, noOutbox, { name: "publisher", signal: controller.signal, attempt: 0 });
  // Stopped while the broker was away: both are reported, as possibly written.
  await waitFor(() => clock.sleeps.length >= 1, { message: "a retry", everyMs: 0 });
  const during = report.summary();
  assert.ok(during.includes("Not delivered: 2"), during.join("\n"));
  assert.ok(during.includes("Of these, sent without an answer from Kafka: 2"), during.join("\n"));
  inbox.close();
  await run;
  const after = report.summary();
  assert.ok(after.includes("Messages produced: 2"), after.join("\n"));
  assert.ok(!after.some((l) => l.startsWith("Not delivered") || l.startsWith("Of these")));
});
