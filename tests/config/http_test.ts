import assert from "node:assert/strict";
import { loadServeConfig } from "../../config/serve.ts";
import { loadStartConfig } from "../../config/start.ts";
import { ConfigError } from "../../config/config_error.ts";
import { HTTP_BAD_VALUES } from "../../faults/bad_values.ts";
import { runCommand } from "../support/run.ts";

const envOf = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("HTTP_MAX_STREAMS is 1000 by default, an empty value is unset, and a whole number is taken", () => {
  assert.equal(loadServeConfig([], envOf({}))!.http.maxStreams, 1000);
  assert.equal(loadServeConfig([], envOf({ HTTP_MAX_STREAMS: " " }))!.http.maxStreams, 1000);
  assert.equal(loadServeConfig([], envOf({ HTTP_MAX_STREAMS: "25" }))!.http.maxStreams, 25);
  assert.equal(loadStartConfig([], envOf({ HTTP_MAX_STREAMS: "1" }))!.http!.maxStreams, 1);
});

Deno.test("loadServeConfig() and loadStartConfig() refuse each bad HTTP_MAX_STREAMS with one line naming it", () => {
  for (const [vars, args, name, allowed] of HTTP_BAD_VALUES) {
    for (const load of [loadServeConfig, loadStartConfig]) {
      assert.throws(
        () => load(args, envOf(vars)),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError, String(error));
          assert.ok(error.message.includes(name), error.message);
          assert.ok(error.message.includes(allowed), error.message);
          assert.ok(!error.message.includes("\n"), error.message);
          return true;
        },
        `${JSON.stringify(vars)} was accepted`,
      );
    }
  }
});

Deno.test("serve exits 2 with one line for HTTP_MAX_STREAMS=0, before connecting anywhere", async () => {
  const run = await runCommand("serve", {
    env: { HTTP_MAX_STREAMS: "0", KAFKA_BOOTSTRAP_SERVERS: "127.0.0.1:1" },
  });
  assert.equal(run.code, 2, run.stderr);
  assert.equal(run.stdout, "");
  const lines = run.stderr.trim().split("\n");
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0]!, /HTTP_MAX_STREAMS/);
  assert.match(lines[0]!, /at least 1/);
});
