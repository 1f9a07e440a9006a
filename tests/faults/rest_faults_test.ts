import assert from "node:assert/strict";
import { restFaults } from "../../faults/rest_faults.ts";
import { kafkaTest } from "../support/broker.ts";
import { runQuickScenario } from "../support/faults.ts";

kafkaTest(
  "scenario 14 (REST misbehaves, short): 429, 503, HTML, a trade without trade_id, a repeated cursor, an endless chain and nothing older: the live feed unaffected, what a retry gets repaired, the rest counted lost once, exit 0",
  async () => {
    const result = await runQuickScenario(restFaults);
    assert.equal(result.measured.exitCode, 0);
    assert.equal(result.measured.lost, 0);
    assert.equal(result.measured.duplicated, 0);
    assert.ok(result.measured.delivered > 100, `${result.measured.delivered} trades`);
  },
);
