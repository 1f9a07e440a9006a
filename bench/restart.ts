/**
 * Restart to lag 0 (docs/operating.md): `candles` killed with `kill -9` and started again at once
 * while prices are waiting on its topic, with and without `--instance-id`; the time from the
 * restart to the group's committed offsets reaching the end of every partition. Without an id the
 * dead member's partitions move only once its session times out (30 s by default), which is what
 * static membership saves.
 *
 * @module
 */
import { committedAll } from "../faults/topic.ts";
import { market, writeRecording } from "../tests/support/prices.ts";
import { runCommand, type RunningCommand, spawnCommand } from "../tests/support/run.ts";
import { type BenchOptions, round, say, unique } from "./common.ts";

const ASSIGNED = /Assigned partitions of \S+: \d/;

function candles(opts: BenchOptions, topic: string, group: string, store: string, id: string[]) {
  return spawnCommand("candles", {
    args: [
      "--topic",
      topic,
      "--group",
      group,
      "--store",
      store,
      "--from-beginning",
      "--idle-timeout",
      "3600",
      ...id,
    ],
    env: {
      KAFKA_BOOTSTRAP_SERVERS: opts.brokers,
      CANDLE_TOPIC: `${topic}-candles`,
      ALERT_TOPIC: `${topic}-alerts`,
    },
  });
}

async function produce(opts: BenchOptions, topic: string, file: string): Promise<void> {
  const run = await runCommand("produce", {
    args: ["--source", `replay:${file}`, "--iterations", "1"],
    env: { KAFKA_BOOTSTRAP_SERVERS: opts.brokers, KAFKA_TOPIC: topic },
  });
  if (run.code !== 0) throw new Error(`produce failed: ${run.stderr}`);
}

async function waitUntil(what: string, test: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** One restart: seconds from starting the new process to the group's lag at 0. */
async function restartSeconds(opts: BenchOptions, withId: boolean): Promise<number> {
  const topic = unique("bench-restart");
  const group = unique("bench-restart-g");
  const id = withId ? ["--instance-id", unique("bench")] : [];
  const dir = await Deno.makeTempDir({ dir: opts.tmp, prefix: "restart-" });
  const start = Math.floor(Date.now() / 3_600_000) * 3_600 - 2 * 3_600;
  const prices = market({
    seed: 7,
    symbols: ["BTC", "ETH", "SOL"],
    start,
    minutes: 30,
    disorderS: 5,
  });
  const half = Math.ceil(prices.length / 2);
  const first = await writeRecording(prices.slice(0, half));
  const second = await writeRecording(prices.slice(half));
  let run: RunningCommand | null = null;
  try {
    run = candles(opts, topic, group, `sqlite:${dir}/market.db`, id);
    await run.waitFor((_out, err) => ASSIGNED.test(err), 60_000);
    await produce(opts, topic, first);
    await waitUntil(
      "the first process to catch up",
      () => committedAll(opts.brokers, group, topic),
      60_000,
    );
    run.kill("SIGKILL");
    await run.done;
    await produce(opts, topic, second);
    const restarted = performance.now();
    run = candles(opts, topic, group, `sqlite:${dir}/market.db`, id);
    await waitUntil(
      "the restarted process to reach lag 0",
      () => committedAll(opts.brokers, group, topic),
      120_000,
    );
    return (performance.now() - restarted) / 1000;
  } finally {
    if (run) {
      run.kill("SIGTERM");
      await run.done;
    }
    await Deno.remove(first).catch(() => {});
    await Deno.remove(second).catch(() => {});
  }
}

/**
 * The restart figures: seconds from the restart to lag 0, with and without an instance id.
 *
 * @param opts The bench options.
 * @returns The figures for `results.json`.
 */
export async function restartFigures(opts: BenchOptions): Promise<Record<string, unknown>> {
  say("restart to lag 0: candles killed with kill -9 and started again, with --instance-id");
  const withId = await restartSeconds(opts, true);
  say(`  with an instance id: ${withId.toFixed(1)} s`);
  say("restart to lag 0: the same without an instance id (the session timeout runs out first)");
  const withoutId = await restartSeconds(opts, false);
  say(`  without: ${withoutId.toFixed(1)} s`);
  return {
    generated_at: new Date().toISOString(),
    with_instance_id_s: round(withId, 1),
    without_instance_id_s: round(withoutId, 1),
  };
}
