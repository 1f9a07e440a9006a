/**
 * Footprint of the real commands, run as subprocesses (`deno run bin/produce.ts`,
 * `bin/consume.ts`): resident memory idle between fetches and under load, and the start-up
 * time to the first produced message against the local CoinGecko stand-in.
 *
 * @module
 */
import { CoinGeckoStub } from "../tests/support/coingecko_stub.ts";
import { type BenchOptions, freshTopic, median, rssMb, sleep, unique } from "./common.ts";

// The tasks' flags (deno.json): the V8 young generation capped, then the permissions.
const PERMISSIONS = [
  "--v8-flags=--max-semi-space-size=2",
  "--deny-ffi",
  "--allow-net",
  "--allow-env",
  "--allow-sys=hostname,osRelease,networkInterfaces",
  "--allow-read",
];

/** Footprint figures. */
export interface Footprint {
  /** `produce` waiting between fetches, MB. */
  produceIdleMb: number;
  /** `produce --source replay:FILE` at full speed, peak, MB. */
  produceLoadMb: number;
  /** `consume` joined, nothing to read, MB. */
  consumeIdleMb: number;
  /** `consume --from-beginning` of the full topic, peak, MB. */
  consumeLoadMb: number;
  /** Spawn to the first `Produced:` line, ms (median of the runs). */
  startupMs: number;
  /** Each start-up run, ms. */
  startupRuns: number[];
}

interface Spawned {
  child: Deno.ChildProcess;
  /** Resolves at the first line of stdout (or stderr) containing the text; the time it came. */
  waitFor: (text: string, stream?: "stdout" | "stderr") => Promise<number>;
}

function spawn(
  script: string,
  args: string[],
  env: Record<string, string>,
  piped = true,
): Spawned {
  const child = new Deno.Command("deno", {
    args: ["run", "-q", ...PERMISSIONS, script, ...args],
    env,
    stdout: piped ? "piped" : "null",
    stderr: piped ? "piped" : "null",
  }).spawn();
  const seen: Record<string, { text: string; at: number }[]> = { stdout: [], stderr: [] };
  const watchers: { text: string; stream: string; resolve: (t: number) => void }[] = [];
  const pump = async (stream: ReadableStream<Uint8Array>, name: string) => {
    let rest = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      const now = performance.now();
      const text = rest + chunk;
      const cut = text.lastIndexOf("\n");
      rest = text.slice(cut + 1);
      const lines = text.slice(0, cut + 1);
      seen[name]!.push({ text: lines, at: now });
      for (const w of watchers.splice(0)) {
        if (w.stream === name && lines.includes(w.text)) w.resolve(now);
        else watchers.push(w);
      }
    }
  };
  if (piped) {
    void pump(child.stdout, "stdout");
    void pump(child.stderr, "stderr");
  }
  return {
    child,
    waitFor: (text, stream = "stdout") =>
      new Promise((resolve) => {
        const earlier = seen[stream]!.find((s) => s.text.includes(text));
        if (earlier) resolve(earlier.at);
        else watchers.push({ text, stream, resolve });
      }),
  };
}

async function stopped(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGTERM");
  } catch {
    // already gone
  }
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // gone
    }
  }, 10_000);
  await child.status;
  clearTimeout(timer);
}

async function sampleRss(pid: number, ms: number, every = 100): Promise<number[]> {
  const samples: number[] = [];
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const mb = await rssMb(pid);
    if (mb === null) break;
    samples.push(mb);
    await sleep(every);
  }
  return samples;
}

/** Samples RSS until the process exits; returns the peak. */
async function peakUntilExit(child: Deno.ChildProcess): Promise<number> {
  let peak = 0;
  let exited = false;
  void child.status.then(() => (exited = true));
  while (!exited) {
    const mb = await rssMb(child.pid);
    if (mb !== null) peak = Math.max(peak, mb);
    await sleep(50);
  }
  return peak;
}

/**
 * Measures the footprint of `produce` and `consume`.
 *
 * @param opts Bench options.
 * @param options The recording for the loaded runs, its passes, and a filled topic to consume.
 * @returns The figures.
 */
export async function footprint(
  opts: BenchOptions,
  options: { file: string; passes: number; filledTopic: string; filledMessages: number },
): Promise<Footprint> {
  const stub = await CoinGeckoStub.start();
  const env = {
    KAFKA_BOOTSTRAP_SERVERS: opts.brokers,
    COINGECKO_BASE_URL: stub.url,
    API_RATE_LIMIT_DELAY: "0",
    LOG_LEVEL: "warning",
  };
  try {
    // Warm Deno's module cache so start-up is measured as a user sees it the second time.
    await new Deno.Command("deno", {
      args: ["run", "-q", ...PERMISSIONS, "bin/produce.ts", "--help"],
      stdout: "null",
      stderr: "null",
    }).output();

    // Start-up to the first produced message, and the idle footprint between fetches.
    const startupRuns: number[] = [];
    let produceIdleMb = 0;
    const runs = opts.quick ? 1 : 3;
    for (let r = 0; r < runs; r++) {
      const topic = await freshTopic(opts, "bench-footprint-produce");
      const started = performance.now();
      const p = spawn("bin/produce.ts", ["--topic", topic, "--interval", "60"], env);
      const produced = await p.waitFor("Produced:");
      startupRuns.push(produced - started);
      if (r === 0) {
        await p.waitFor("Waiting");
        await sleep(3_000);
        produceIdleMb = median(await sampleRss(p.child.pid, 2_000)) ?? NaN;
      }
      await stopped(p.child);
    }

    // produce under load: a replay at full speed.
    const loadTopic = await freshTopic(opts, "bench-footprint-produce-load");
    const pl = spawn(
      "bin/produce.ts",
      [
        "--topic",
        loadTopic,
        "--source",
        `replay:${options.file}`,
        "--iterations",
        String(options.passes),
      ],
      env,
      false,
    );
    const produceLoadMb = await peakUntilExit(pl.child);

    // consume idle: joined to an empty topic.
    const idleTopic = await freshTopic(opts, "bench-footprint-consume");
    const c = spawn("bin/consume.ts", [
      "--topic",
      idleTopic,
      "--group",
      unique("bench-idle"),
      "--format",
      "json",
      "--log-level",
      "info",
    ], env);
    await c.waitFor("Assigned partitions", "stderr");
    await sleep(3_000);
    const consumeIdleMb = median(await sampleRss(c.child.pid, 2_000)) ?? NaN;
    await stopped(c.child);

    // consume under load: the filled topic from the beginning.
    const cl = spawn(
      "bin/consume.ts",
      [
        "--topic",
        options.filledTopic,
        "--group",
        unique("bench-load"),
        "--format",
        "json",
        "--from-beginning",
        "--max-messages",
        String(options.filledMessages),
      ],
      env,
      false,
    );
    const consumeLoadMb = await peakUntilExit(cl.child);

    return {
      produceIdleMb,
      produceLoadMb,
      consumeIdleMb,
      consumeLoadMb,
      startupMs: median(startupRuns) ?? NaN,
      startupRuns,
    };
  } finally {
    await stub.close();
  }
}
