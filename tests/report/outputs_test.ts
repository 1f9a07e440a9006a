import assert from "node:assert/strict";
import { describeAlerts, redisSummary } from "../../report/outputs.ts";

Deno.test("describeAlerts() gives the thresholds, the half-life and the topic, or says alerts are off", () => {
  assert.equal(
    describeAlerts({ rules: { movePct: 2.5, zscore: 3, halflife: 60 }, topic: "my-alerts" }),
    "Alerts: move ≥ 2.5%, anomaly |z| > 3 (half-life 60 candles), topic my-alerts",
  );
  assert.equal(describeAlerts(null), "Alerts: off");
});

Deno.test("redisSummary() gives one indented line of Redis's counts, and none when Redis is off", () => {
  assert.deepEqual(redisSummary({ counters: { sent: 1_200, errors: 3, dropped: 7 } }), [
    "  Redis: 1200 sent, 3 errors, 7 dropped",
  ]);
  assert.deepEqual(redisSummary(null), []);
});
