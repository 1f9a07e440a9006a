import assert from "node:assert/strict";
import { hostileRecords } from "../../faults/hostile_records.ts";
import { kafkaTest } from "../support/broker.ts";
import { runQuickScenario } from "../support/faults.ts";

kafkaTest(
  "scenario 15: 100 fuzzed hostile records among 5,000 good prices and trades: the candles of the good ones alone, every bad one dead-lettered once with its reason, nothing lost",
  async () => {
    const result = await runQuickScenario(hostileRecords);
    assert.equal(result.measured.lost, 0);
    assert.equal(result.measured.duplicated, 0);
    assert.equal(result.measured.exitCode, 0);
  },
);
