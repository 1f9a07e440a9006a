import assert from "node:assert/strict";
import { redisOutage, storeOutage } from "../../faults/store_outage.ts";
import { kafkaTest } from "../support/broker.ts";
import { runQuickScenario } from "../support/faults.ts";

kafkaTest(
  "scenario 11: PostgreSQL stopped under candles: it holds back, retries and ends with the full, right table",
  async () => {
    const result = await runQuickScenario(storeOutage);
    assert.equal(result.measured.lost, 0);
    assert.ok(result.measured.delivered > 20);
  },
);

kafkaTest(
  "scenario 12: Redis killed under candles: candles keep reaching the store, and Redis catches up when it returns",
  async () => {
    const result = await runQuickScenario(redisOutage);
    assert.equal(result.measured.lost, 0);
  },
);
