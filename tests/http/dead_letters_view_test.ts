/**
 * What the HTTP side shows of refused records and failing writes: the dead letters in
 * `/api/v1/pipeline` and `/metrics`, and `/readyz` not ready, with the reason, once the candle
 * writes have failed for over 30 s (and ready again once one passes).
 */
import assert from "node:assert/strict";
import { WriteHealth } from "../../report/store_health.ts";
import { SqliteCandleStore } from "../../store/sqlite.ts";
import { stubPerformanceNow } from "../support/performance_clock.ts";
import { appOver, busySnapshot } from "./support.ts";

Deno.test("/readyz is 503 naming the failing writes once they have failed for over 30 s, 200 again once one passes", async () => {
  const store = SqliteCandleStore.open(":memory:");
  // The probe answers from its last round of checks for a second of performance.now(): virtual
  // here, moved on by the test whenever a new round is wanted.
  const clock = stubPerformanceNow();
  try {
    const health = new WriteHealth();
    let now = Date.UTC(2026, 0, 1);
    const { app } = await appOver(store, {
      readiness: { store: () => store.ping(), writes: () => health.check(now) },
    });
    const readyz = async () => {
      const answer = await app.request("/readyz", { headers: { host: "127.0.0.1" } });
      return { status: answer.status, body: await answer.json() };
    };
    assert.equal((await readyz()).status, 200);
    health.failed(now, "Lost the connection to PostgreSQL: connection refused");
    now += 30_000;
    clock.advance(1_000);
    assert.equal((await readyz()).status, 200, "30 s of failures is not yet too long");
    now += 2_000;
    assert.equal((await readyz()).status, 200, "within a second, the last round's answer");
    clock.advance(1_000);
    const down = await readyz();
    assert.equal(down.status, 503);
    assert.match(
      (down.body.reasons as string[]).join("; "),
      /writes: candle store writes have failed for 32 s: .*connection refused/,
    );
    health.succeeded();
    clock.advance(1_000);
    assert.equal((await readyz()).status, 200);
  } finally {
    clock.restore();
    await store.close();
  }
});

Deno.test("/api/v1/pipeline and /metrics show the dead letters: counts by who refused them, the latest with their reasons", async () => {
  const store = SqliteCandleStore.open(":memory:");
  try {
    const { app } = await appOver(store, {
      pipeline: () => ({
        ...busySnapshot(),
        deadLetters: {
          topic: "crypto-dlq",
          written: 3,
          refusedAtDoor: 2,
          refusedByStore: 1,
          latest: [{
            topic: "crypto-prices",
            partition: 2,
            offset: "17",
            reason: "last_updated is 1700000000000, more than 300 s ahead of the clock",
            at: Date.UTC(2026, 0, 1),
          }],
        },
      }),
    });
    const headers = { host: "127.0.0.1" };
    const pipeline = await (await app.request("/api/v1/pipeline", { headers })).json();
    assert.deepEqual(pipeline.dead_letters, {
      topic: "crypto-dlq",
      written: 3,
      refused_when_read: 2,
      refused_by_store: 1,
      latest: [{
        topic: "crypto-prices",
        partition: 2,
        offset: 17,
        reason: "last_updated is 1700000000000, more than 300 s ahead of the clock",
        at: "2026-01-01T00:00:00.000Z",
      }],
    });
    const metrics = await (await app.request("/metrics", { headers })).text();
    assert.match(metrics, /^crypto_dead_letters_total\{refused_by="door"\} 2$/m);
    assert.match(metrics, /^crypto_dead_letters_total\{refused_by="store"\} 1$/m);
  } finally {
    await store.close();
  }
});
