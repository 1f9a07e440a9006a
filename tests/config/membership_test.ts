/**
 * `--instance-id` (`KAFKA_INSTANCE_ID`) and `KAFKA_SESSION_TIMEOUT`: how `consume`, `candles`,
 * `serve` and `start` belong to their consumer groups.
 *
 * @module
 */
import assert from "node:assert/strict";
import { loadCandlesConfig } from "../../config/candles.ts";
import { ConfigError } from "../../config/config_error.ts";
import { loadConsumerConfig } from "../../config/consume.ts";
import { loadServeConfig } from "../../config/serve.ts";
import { loadStartConfig } from "../../config/start.ts";
import type { Env, Membership } from "../../config/types.ts";
import { runCommand } from "../support/run.ts";

const envOf = (vars: Record<string, string>): Env => (name) => vars[name];

/** Each command that joins a consumer group, and where its membership is in its configuration. */
const LOADERS: [string, (args: string[], env: Env) => Membership][] = [
  ["consume", (args, env) => loadConsumerConfig(args, env)!.membership],
  ["candles", (args, env) => loadCandlesConfig(args, env)!.membership],
  ["serve", (args, env) => loadServeConfig(args, env)!.membership],
  ["start", (args, env) => loadStartConfig(args, env)!.candleMembership],
];

Deno.test("without an instance id each command is a dynamic member with a 30 s session timeout", () => {
  for (const [command, load] of LOADERS) {
    assert.deepEqual(load([], envOf({})), { instanceId: null, sessionTimeoutMs: 30_000 }, command);
    assert.deepEqual(
      load([], envOf({ KAFKA_INSTANCE_ID: " " })),
      { instanceId: null, sessionTimeoutMs: 30_000 },
      `${command}: a blank KAFKA_INSTANCE_ID means none`,
    );
  }
});

Deno.test("--instance-id wins over KAFKA_INSTANCE_ID, and KAFKA_SESSION_TIMEOUT sets the session timeout", () => {
  for (const [command, load] of [LOADERS[0]!, LOADERS[1]!, LOADERS[2]!]) {
    assert.deepEqual(
      load(["--instance-id", "candles-1"], envOf({ KAFKA_INSTANCE_ID: "other" })),
      { instanceId: "candles-1", sessionTimeoutMs: 30_000 },
      command,
    );
    assert.deepEqual(
      load([], envOf({ KAFKA_INSTANCE_ID: " host-a.1_x ", KAFKA_SESSION_TIMEOUT: "45" })),
      { instanceId: "host-a.1_x", sessionTimeoutMs: 45_000 },
      command,
    );
  }
});

Deno.test("start gives the printer's group and the candles' group each an id of its own", () => {
  const config = loadStartConfig(
    ["--transport", "kafka", "--instance-id", "a"],
    envOf({ KAFKA_SESSION_TIMEOUT: "60" }),
  )!;
  assert.deepEqual(config.consumer.membership, {
    instanceId: "a-printer",
    sessionTimeoutMs: 60_000,
  });
  assert.deepEqual(config.candleMembership, { instanceId: "a-candles", sessionTimeoutMs: 60_000 });
  const none = loadStartConfig(["--transport", "kafka"], envOf({}))!;
  assert.equal(none.consumer.membership.instanceId, null);
  assert.equal(none.candleMembership.instanceId, null);
});

Deno.test("an instance id the broker would refuse is refused with one line naming the flag or variable", () => {
  const bad = ["", "a b", "a/b", "ä", ".", "..", "x".repeat(250), "a\nb"];
  for (const [command, load] of LOADERS) {
    for (const raw of bad) {
      for (
        const [args, env, name] of [
          [["--instance-id", raw], {}, "--instance-id"],
          // A blank variable means none; the others are refused.
          ...(raw === "" ? [] : [[[], { KAFKA_INSTANCE_ID: raw }, "KAFKA_INSTANCE_ID"]]),
        ] as [string[], Record<string, string>, string][]
      ) {
        assert.throws(
          () => load(args, envOf(env)),
          (error: unknown) => {
            assert.ok(error instanceof ConfigError, `${command} ${name}=${raw}: ${error}`);
            assert.ok(
              error.message.startsWith(`Invalid ${name}: an instance id is 1-`),
              error.message,
            );
            assert.ok(error.message.includes("a-z, A-Z, 0-9, '.', '_' and '-'"), error.message);
            assert.ok(!error.message.includes("\n"), error.message);
            return true;
          },
          `${command}: ${name}=${JSON.stringify(raw)} was accepted`,
        );
      }
    }
  }
  // start suffixes the id: 241 characters is its longest.
  assert.equal(
    loadStartConfig(["--instance-id", "x".repeat(241)], envOf({}))!.candleMembership.instanceId,
    `${"x".repeat(241)}-candles`,
  );
  assert.throws(
    () => loadStartConfig(["--instance-id", "x".repeat(242)], envOf({})),
    /^ConfigError: Invalid --instance-id: an instance id is 1-241 characters/,
  );
  assert.equal(
    loadCandlesConfig(["--instance-id", "x".repeat(249)], envOf({}))!.membership.instanceId,
    "x".repeat(249),
  );
});

Deno.test("a session timeout outside 6-1800 s is refused with one line naming KAFKA_SESSION_TIMEOUT", () => {
  for (const [command, load] of LOADERS) {
    for (const raw of ["5", "1801", "x", "-30"]) {
      assert.throws(
        () => load([], envOf({ KAFKA_SESSION_TIMEOUT: raw })),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError, `${command} ${raw}: ${error}`);
          assert.match(error.message, /^Cannot parse KAFKA_SESSION_TIMEOUT as a number at least 6/);
          return true;
        },
        `${command}: KAFKA_SESSION_TIMEOUT=${raw} was accepted`,
      );
    }
  }
});

for (const command of ["consume", "candles", "serve", "start"]) {
  Deno.test(`${command} exits 2 with one line for a bad --instance-id, before connecting anywhere; its --help gives the session timeout without one`, async () => {
    const [bad, help] = await Promise.all([
      runCommand(command, {
        args: ["--instance-id", "two words"],
        env: { KAFKA_BOOTSTRAP_SERVERS: "127.0.0.1:1" },
      }),
      runCommand(command, { args: ["--help"] }),
    ]);
    assert.equal(bad.code, 2, bad.stderr);
    assert.equal(bad.stdout, "");
    assert.equal(
      bad.stderr,
      "error: Invalid --instance-id: an instance id is 1-" +
        (command === "start" ? "241" : "249") +
        ` characters of a-z, A-Z, 0-9, '.', '_' and '-', current value is "two words"\n`,
    );
    assert.equal(help.code, 0);
    const line = help.stdout.split("\n").find((l) => l.startsWith("  --instance-id <id>")) ?? "";
    assert.match(line, /KAFKA_SESSION_TIMEOUT, 30 s/, help.stdout);
    assert.match(line, /\[env: KAFKA_INSTANCE_ID\]$/, line);
  });
}
