/**
 * `--source coinbase` with the feed unreachable (the default URL on a machine without internet,
 * a closed local port elsewhere): one warning line per retry and nothing else, no stack trace,
 * and Ctrl+C (SIGINT) stops it cleanly with exit 0 and the summary.
 *
 * @module
 */
import assert from "node:assert/strict";
import { freshTopic, kafkaTest, TEST_BROKERS } from "../support/broker.ts";
import { spawnCommand } from "../support/run.ts";
import { freePort } from "../support/services.ts";

const DEFAULT_URL = "wss://ws-feed.exchange.coinbase.com";

/** Whether the real feed answers from here (then a closed port stands in for it). */
async function defaultReachable(): Promise<boolean> {
  return await new Promise<boolean>((resolve) => {
    const socket = new WebSocket(DEFAULT_URL);
    const timer = setTimeout(() => done(false), 5_000);
    const done = (open: boolean) => {
      clearTimeout(timer);
      socket.onopen = socket.onclose = socket.onerror = null;
      try {
        socket.close();
      } catch {
        // not open
      }
      resolve(open);
    };
    socket.onopen = () => done(true);
    socket.onclose = () => done(false);
    socket.onerror = () => done(false);
  });
}

/** The URL no feed answers at, and the environment that points there. */
async function unreachable(): Promise<{ url: string; env: Record<string, string> }> {
  if (!(await defaultReachable())) return { url: DEFAULT_URL, env: {} };
  const url = `ws://127.0.0.1:${freePort()}`;
  return { url, env: { COINBASE_WS_URL: url } };
}

/** Runs a command for 5 s against an unreachable feed, then sends SIGINT; checks the output. */
async function retriesThenStops(
  command: "produce" | "start",
  options: { args: string[]; env: Record<string, string> },
) {
  const { url, env: feed } = await unreachable();
  const run = spawnCommand(command, {
    args: ["--source", "coinbase", ...options.args],
    env: { ...options.env, ...feed },
  });
  await run.waitFor((_out, err) => (err.match(/reconnecting in/g) ?? []).length >= 3, 30_000);
  run.kill("SIGINT");
  const { code, stdout, stderr } = await run.done;
  assert.equal(code, 0, stdout + stderr);
  const text = stdout + stderr;
  assert.doesNotMatch(text, /^\s+at /m, "no stack trace");
  assert.doesNotMatch(text, /Error:/, "no error class names");
  const lines = stderr.split("\n").filter((l) => l.trim() !== "");
  const warnings = lines.filter((l) => l.includes("Coinbase feed:"));
  assert.ok(warnings.length >= 3, stderr);
  const escaped = url.replace(/[.\\/]/g, "\\$&");
  for (const [i, line] of warnings.entries()) {
    assert.match(
      line,
      new RegExp(
        `\\[WRN\\] crypto\\.trades: Coinbase feed: cannot connect to ${escaped}: [^;]+; reconnecting in \\d+\\.\\d s \\(attempt ${
          i + 1
        }\\)$`,
      ),
    );
  }
  // Nothing else is logged: one line per retry (and the stop notice).
  const others = lines.filter((l) => !l.includes("Coinbase feed:") && !/SIGINT|Assigned/.test(l));
  assert.deepEqual(others, []);
  assert.match(stdout, /^Trade producer summary$/m);
  assert.match(stdout, /^Connections: 0$/m);
  assert.match(stdout, new RegExp(`^Disconnections: ${warnings.length}$`, "m"));
  assert.match(stdout, /^Trades published: 0$/m);
}

kafkaTest(
  "produce --source coinbase with the feed unreachable logs one warning per retry, no stack trace, and stops on SIGINT with exit 0 and its summary",
  () =>
    retriesThenStops("produce", {
      args: ["--topic", freshTopic("it-trades-unreachable")],
      env: { KAFKA_BOOTSTRAP_SERVERS: TEST_BROKERS },
    }),
);

Deno.test({
  name:
    "start --source coinbase with the feed unreachable logs one warning per retry, no stack trace, and stops on SIGINT with exit 0 and its summary",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () => retriesThenStops("start", { args: ["--no-http"], env: {} }),
});
