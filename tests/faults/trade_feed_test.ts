import assert from "node:assert/strict";
import { tradeFeed } from "../../faults/trade_feed.ts";
import { kafkaTest } from "../support/broker.ts";
import { runQuickScenario } from "../support/faults.ts";

kafkaTest(
  "scenario 13 (trade feed faults, short): an unknown product, malformed frames, a dropped connection with a replay, a gap and a silent feed: each trade once, in order, nothing lost, exit 0",
  async () => {
    const result = await runQuickScenario(tradeFeed);
    assert.equal(result.measured.exitCode, 0);
    assert.equal(result.measured.lost, 0);
    assert.equal(result.measured.duplicated, 0);
    assert.ok(result.measured.delivered > 50, `${result.measured.delivered} trades`);
  },
);
