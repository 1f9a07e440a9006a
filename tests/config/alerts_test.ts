import assert from "node:assert/strict";
import { loadCandlesConfig } from "../../config/candles.ts";
import { loadStartConfig } from "../../config/start.ts";
import { ConfigError } from "../../config/config_error.ts";
import { ALERT_BAD_VALUES } from "../../faults/bad_values.ts";
import { runCommand } from "../support/run.ts";

const envOf = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("loadCandlesConfig() gives the documented alert defaults, and takes the alert variables", () => {
  assert.deepEqual(loadCandlesConfig([], envOf({}))?.alerts, {
    rules: { movePct: 5, zscore: 4, halflife: 30 },
    topic: "crypto-alerts",
  });
  const set = loadCandlesConfig(
    [],
    envOf({
      ALERT_MOVE_PCT: "2.5",
      ALERT_ZSCORE: "3",
      ALERT_EWMA_HALFLIFE: "10",
      ALERT_TOPIC: "my-alerts",
    }),
  );
  assert.deepEqual(set?.alerts, {
    rules: { movePct: 2.5, zscore: 3, halflife: 10 },
    topic: "my-alerts",
  });
  // An empty variable counts as unset.
  assert.equal(loadCandlesConfig([], envOf({ ALERT_ZSCORE: "" }))?.alerts?.rules.zscore, 4);
});

Deno.test("--no-alerts turns alerts off in candles and start; start has none without candles", () => {
  assert.equal(loadCandlesConfig(["--no-alerts"], envOf({}))?.alerts, null);
  assert.equal(loadStartConfig(["--no-alerts"], envOf({}))?.alerts, null);
  assert.equal(loadStartConfig(["--no-candles"], envOf({}))?.alerts, null);
  assert.equal(loadStartConfig([], envOf({}))?.alerts?.topic, "crypto-alerts");
  // The values are checked all the same.
  assert.throws(
    () => loadCandlesConfig(["--no-alerts"], envOf({ ALERT_ZSCORE: "-1" })),
    ConfigError,
  );
});

Deno.test("loadCandlesConfig() and loadStartConfig() name the alert variable and what is allowed for each bad value", () => {
  for (const load of [loadCandlesConfig, loadStartConfig]) {
    for (const [vars, args, name, allowed] of ALERT_BAD_VALUES) {
      assert.throws(
        () => load(args, envOf(vars)),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError, `${name}: ${error}`);
          assert.ok(error.message.includes(name), `${name} missing from: ${error.message}`);
          assert.ok(error.message.includes(allowed), `"${allowed}" missing from: ${error.message}`);
          assert.ok(!error.message.includes("\n"), `not one line: ${error.message}`);
          return true;
        },
        `${name} ${JSON.stringify(vars)} was accepted`,
      );
    }
  }
});

Deno.test("candles and start stop with one line and exit 2 for ALERT_ZSCORE=-1 and ALERT_MOVE_PCT=abc", async () => {
  const cases = [
    ["candles", { ALERT_ZSCORE: "-1" }, /^error: .*ALERT_ZSCORE.*greater than 0.*"-1"$/],
    ["candles", { ALERT_MOVE_PCT: "abc" }, /^error: .*ALERT_MOVE_PCT.*a number.*"abc"$/],
    ["start", { ALERT_ZSCORE: "-1" }, /^error: .*ALERT_ZSCORE/],
    ["start", { ALERT_MOVE_PCT: "abc" }, /^error: .*ALERT_MOVE_PCT/],
  ] as const;
  const results = await Promise.all(
    // A value wrongly accepted must not reach anyone's broker: it would fail at port 1.
    cases.map(([command, env]) =>
      runCommand(command, {
        env: { ...env, KAFKA_BOOTSTRAP_SERVERS: "127.0.0.1:1", KAFKA_CONNECT_TIMEOUT: "1" },
      })
    ),
  );
  results.forEach((result, i) => {
    const [command, env, line] = cases[i]!;
    const what = `${command} ${JSON.stringify(env)}`;
    assert.equal(result.code, 2, `${what}: exit ${result.code}\n${result.stderr}`);
    assert.equal(result.stdout, "", what);
    const lines = result.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, `${what}: ${result.stderr}`);
    assert.match(lines[0]!, line);
  });
});
