import assert from "node:assert/strict";
import { apiFaults } from "../../faults/api_faults.ts";
import { kafkaTest } from "../support/broker.ts";
import { runQuickScenario } from "../support/faults.ts";

kafkaTest(
  "fault scenario 4 (API faults, short): rate kept, each fault reported once, every usable price on the topic",
  async () => {
    const result = await runQuickScenario(apiFaults);

    assert.equal(result.measured.exitCode, 0);
    assert.equal(result.measured.restarts, 0);
    assert.ok(result.measured.fetched > 0, "no price fetched");
    assert.equal(result.measured.delivered, result.measured.fetched);
    assert.equal(result.measured.lost, 0);
  },
);
