/**
 * A password in a URL is never printed, whatever shape the URL is in: every command that takes a
 * URL is run with a table of odd ones (spaces around it, no `@`, percent-encoded, IPv6 hosts, a
 * `password=` parameter, no scheme…) in each of its URL variables and flags, refused or used, and
 * neither its standard output nor its standard error may hold the password.
 *
 * @module
 */
import assert from "node:assert/strict";
import { DEAD_PORT, oddUrls, SECRET } from "../support/odd_urls.ts";
import { type RunResult, spawnCommand } from "../support/run.ts";

/** A URL variable or flag of a command, and the scheme its URLs have. */
interface UrlSetting {
  command: string;
  /** `--flag` or `VARIABLE`. */
  name: string;
  scheme: string;
  /** What else the command is run with, so that it reaches the setting's use. */
  args?: string[];
}

/** Every command that takes a URL, and each of its URL variables or flags. */
const SETTINGS: UrlSetting[] = [
  { command: "produce", name: "COINGECKO_BASE_URL", scheme: "https", args: ["--iterations", "1"] },
  { command: "produce", name: "COINBASE_WS_URL", scheme: "wss", args: ["--source", "coinbase"] },
  {
    command: "produce",
    name: "COINBASE_REST_URL",
    scheme: "https",
    args: ["--source", "coinbase", "--backfill", "1h"],
  },
  { command: "produce", name: "--brokers", scheme: "kafka" },
  { command: "consume", name: "KAFKA_BOOTSTRAP_SERVERS", scheme: "kafka" },
  { command: "lag", name: "--brokers", scheme: "kafka" },
  { command: "candles", name: "--store", scheme: "postgres" },
  { command: "candles", name: "REDIS_URL", scheme: "redis" },
  { command: "candles", name: "KAFKA_BOOTSTRAP_SERVERS", scheme: "kafka" },
  { command: "serve", name: "CANDLE_STORE", scheme: "postgresql" },
  { command: "serve", name: "--redis", scheme: "rediss" },
  { command: "serve", name: "--brokers", scheme: "kafka" },
  { command: "start", name: "--store", scheme: "postgres" },
  { command: "start", name: "REDIS_URL", scheme: "redis" },
  { command: "start", name: "COINGECKO_BASE_URL", scheme: "http", args: ["--iterations", "1"] },
  { command: "start", name: "COINBASE_WS_URL", scheme: "ws", args: ["--source", "coinbase"] },
  {
    command: "start",
    name: "COINBASE_REST_URL",
    scheme: "http",
    args: ["--source", "coinbase", "--backfill", "1h"],
  },
  {
    command: "start",
    name: "KAFKA_BOOTSTRAP_SERVERS",
    scheme: "kafka",
    args: ["--transport", "kafka"],
  },
];

/** Everything else points at the dead port too, and gives up within a second. */
const BASE_ENV = {
  KAFKA_BOOTSTRAP_SERVERS: `127.0.0.1:${DEAD_PORT}`,
  KAFKA_CONNECT_TIMEOUT: "1",
  CANDLE_STORE_TIMEOUT: "1",
  COINGECKO_BASE_URL: `http://127.0.0.1:${DEAD_PORT}/api/v3`,
  COINBASE_WS_URL: `ws://127.0.0.1:${DEAD_PORT}`,
  COINBASE_REST_URL: `http://127.0.0.1:${DEAD_PORT}`,
  API_TIMEOUT: "1",
  API_MAX_RETRIES: "0",
  API_RATE_LIMIT_DELAY: "0",
};

/** Runs a command until it ends, or for `ms` and then stops it (SIGTERM, then SIGKILL). */
async function runFor(
  command: string,
  options: { args: string[]; env: Record<string, string> },
  ms: number,
): Promise<RunResult> {
  const run = spawnCommand(command, options);
  const ended = (wait: number) =>
    Promise.race([run.done, new Promise<null>((r) => setTimeout(() => r(null), wait))]);
  let result = await ended(ms);
  if (result === null) {
    run.kill("SIGTERM");
    result = await ended(10_000);
  }
  if (result === null) run.kill("SIGKILL");
  return result ?? await run.done;
}

/** Runs the tasks, `width` at a time. */
async function inParallel<T>(tasks: (() => Promise<T>)[], width: number): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await tasks[i]!();
      }
    }),
  );
  return results;
}

for (const command of [...new Set(SETTINGS.map((s) => s.command))]) {
  const settings = SETTINGS.filter((s) => s.command === command);
  Deno.test(
    `${command} never prints the password of an odd URL in ${
      settings.map((s) => s.name).join(", ")
    }, refused or used`,
    async () => {
      const runs = settings.flatMap((setting) =>
        oddUrls(setting.scheme).map(([url, what]) => ({ setting, url, what }))
      );
      const results = await inParallel(
        runs.map(({ setting, url }) => () => {
          const given = setting.name.startsWith("--")
            ? { args: [setting.name, url, ...(setting.args ?? [])], env: {} }
            : { args: setting.args ?? [], env: { [setting.name]: url } };
          return runFor(command, { args: given.args, env: { ...BASE_ENV, ...given.env } }, 4_000);
        }),
        4,
      );
      results.forEach((result, i) => {
        const { setting, url, what } = runs[i]!;
        const context = `${command} ${setting.name}=${
          JSON.stringify(url)
        } (${what}), exit ${result.code}`;
        const output = result.stdout + result.stderr;
        assert.ok(!output.includes(SECRET), `${context} printed the password:\n${output}`);
        if (result.code === 2) {
          assert.equal(result.stderr.trim().split("\n").length, 1, `${context}:\n${result.stderr}`);
          assert.match(result.stderr, /^error: /, context);
        }
      });
      // The table was read where it matters: refused by some, used by others.
      const codes = new Set(results.map((r) => r.code));
      assert.ok(codes.has(2), `${command}: no URL was refused`);
    },
  );
}
