/**
 * Before and after: `bin/candles.ts` of another git ref (a worktree of its own under /tmp) and of
 * this checkout, each run as a process with the same flags over the same topic, timed from its
 * partitions' assignment to the store holding every record. Bench code only.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import postgres from "postgres";
import { type BenchOptions, rssMb, say, sleep, unique } from "./common.ts";

/** A checkout whose `bin/candles.ts` is run. */
export interface Checkout {
  /** Its folder. */
  dir: string;
  /** The git ref it was asked for (`HEAD` for this checkout). */
  ref: string;
  /** Its commit, short. */
  sha: string;
}

/** The baseline's worktree, and how to take it away. */
export interface Baseline extends Checkout {
  /** Removes the worktree (best effort, never throws). */
  remove: () => Promise<void>;
}

async function git(args: string[]): Promise<{ ok: boolean; out: string; err: string }> {
  const out = await new Deno.Command("git", { args, stdout: "piped", stderr: "piped" }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes).trim();
  return { ok: out.success, out: text(out.stdout), err: text(out.stderr) };
}

/**
 * The short commit a ref names, or null when it names none.
 *
 * @param ref A git ref: a branch, a tag, `HEAD~1`, a sha.
 * @returns The short sha, or null.
 */
export async function shortSha(ref: string): Promise<string | null> {
  if (ref.startsWith("-")) return null;
  const run = await git(["rev-parse", "--verify", "--quiet", "--short", `${ref}^{commit}`]);
  return run.ok && run.out !== "" ? run.out : null;
}

/**
 * Makes a symbolic link. `Deno.symlink` wants unscoped write permission, which the bench does not
 * have; the Deno it may run does it.
 */
async function symlink(target: string, link: string): Promise<void> {
  const out = await new Deno.Command("deno", {
    args: ["eval", "Deno.symlinkSync(Deno.args[0], Deno.args[1])", target, link],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`cannot link ${link}: ${new TextDecoder().decode(out.stderr).split("\n")[0]}`);
  }
}

/**
 * Checks the ref out with `git worktree add --detach /tmp/bench-baseline-<sha> <ref>`, with a
 * link to this checkout's `node_modules` when the two lock files are the same; with other
 * packages, Deno sets the worktree's own up from its cache at the first run (so that the ref's
 * packages never change this checkout's).
 *
 * @param ref The git ref.
 * @returns The worktree.
 * @throws {Error} When the ref names no commit or git cannot add the worktree.
 */
export async function addBaseline(ref: string): Promise<Baseline> {
  const sha = await shortSha(ref);
  if (sha === null) throw new Error(`--baseline ${ref}: not a commit of this repository`);
  const dir = `/tmp/bench-baseline-${sha}`;
  const remove = async () => {
    await Deno.remove(`${dir}/node_modules`, { recursive: true }).catch(() => {});
    await git(["worktree", "remove", "--force", dir]);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await git(["worktree", "prune"]);
  };
  // What a run that died before its cleanup left behind.
  await remove();
  const added = await git(["worktree", "add", "--detach", dir, sha]);
  if (!added.ok) throw new Error(`git worktree add ${dir} ${ref}: ${added.err.split("\n")[0]}`);
  try {
    const lock = (path: string) => Deno.readTextFile(path).catch(() => null);
    const here = await lock("deno.lock");
    const there = await lock(`${dir}/deno.lock`);
    if (here !== null && here === there) {
      await symlink(`${Deno.cwd()}/node_modules`, `${dir}/node_modules`);
    }
  } catch (error) {
    await remove();
    throw error;
  }
  say(`baseline: ${ref} (${sha}) checked out in ${dir}`);
  return { dir, ref, sha, remove };
}

/** This checkout as a {@linkcode Checkout}. */
export async function currentCheckout(): Promise<Checkout> {
  return { dir: Deno.cwd(), ref: "HEAD", sha: (await shortSha("HEAD")) ?? "worktree" };
}

/**
 * The Deno flags of one of this checkout's tasks of the form `deno run … <script>`, read from its
 * `deno.json`. `--env-file` is left out (a `.env` would set what the bench does not ask for) and
 * the scratch folder is added to `--allow-write` (the SQLite stores go there, not into `.data`).
 *
 * @param name The task.
 * @param script The script it runs.
 * @param scratch The bench's scratch folder.
 * @returns The flags between `deno run` and the script.
 * @throws {Error} When `deno.json` has no such task.
 */
export async function taskFlags(name: string, script: string, scratch: string): Promise<string[]> {
  const tasks = JSON.parse(await Deno.readTextFile("deno.json")).tasks ?? {};
  const task = tasks[name];
  const command: unknown = typeof task === "string" ? task : task?.command;
  const words = typeof command === "string" ? command.split(/\s+/) : [];
  const end = words.indexOf(script);
  if (words[0] !== "deno" || words[1] !== "run" || end < 0) {
    throw new Error(`deno.json has no task \`${name}\` of the form \`deno run … ${script}\``);
  }
  return words.slice(2, end).filter((flag) => flag !== "--env-file").map((flag) =>
    flag.startsWith("--allow-write=") ? `${flag},${scratch}` : flag
  );
}

/**
 * The Deno flags of this checkout's `deno task candles`: the same for every checkout run, so
 * that the two differ by their code only (see {@linkcode taskFlags}).
 *
 * @param scratch The bench's scratch folder.
 * @returns The flags between `deno run` and `bin/candles.ts`.
 * @throws {Error} When `deno.json` has no such task.
 */
export function candlesTaskFlags(scratch: string): Promise<string[]> {
  return taskFlags("candles", "bin/candles.ts", scratch);
}

/** One run of a checkout's `bin/candles.ts`. */
export interface ProcessRun {
  /** Records read per second, from the partitions' assignment to the store holding them all. */
  rate: number;
  /** Those seconds. */
  seconds: number;
  /** The largest resident memory seen, MB, when it was sampled (`rssEveryMs`); else null. */
  peakRssMb: number | null;
}

const ASSIGNED = /Assigned partitions of \S+: \d/;

/**
 * The records the store holds: the observations (`samples`) of its closed 1m candles. Read with a
 * connection of the bench's own (SQLite read-only, beside the process's writes).
 */
function storeCounter(store: string): { count: () => Promise<number>; close: () => Promise<void> } {
  const query = `SELECT coalesce(sum(samples), 0) AS n FROM candles
    WHERE "interval" = '1m' AND closed`;
  if (store.startsWith("sqlite:")) {
    let db: DatabaseSync | null = null;
    return {
      count: () => {
        try {
          db ??= new DatabaseSync(store.slice("sqlite:".length), { readOnly: true });
          return Promise.resolve(Number((db.prepare(query).get() as { n: number }).n));
        } catch {
          // Not made or not migrated yet.
          return Promise.resolve(0);
        }
      },
      close: () => Promise.resolve(db?.close()),
    };
  }
  const sql = postgres(store, { max: 1, onnotice: () => {} });
  return {
    count: () => sql.unsafe(query).then((rows) => Number(rows[0]?.n ?? 0), () => 0),
    close: () => sql.end(),
  };
}

/**
 * Runs a checkout's `bin/candles.ts` as a user would (`deno run <flags> bin/candles.ts --topic …
 * --store … --from-beginning --intervals …`, a consumer group and topics of its own) over a filled
 * topic whose last records close every window, until its store holds every other record in a
 * closed 1m candle; then stops it with SIGTERM. The store is polled every 10 ms, or after four
 * times the last count's duration when that is longer (a big store's count is a scan), so that
 * the polling never takes much of the machine.
 *
 * @param opts The bench options.
 * @param options The checkout, its flags, the topic, how many records close the windows at its
 *   end, the store's URL (a fresh one), the intervals, and how often to sample the process's
 *   resident memory (`ps`) until it exits (not at all without).
 * @returns The rate, and the topics the process made (to delete).
 */
export async function candlesProcess(
  opts: BenchOptions,
  options: {
    checkout: Checkout;
    flags: string[];
    topic: string;
    messages: number;
    closing: number;
    store: string;
    intervals: string[];
    rssEveryMs?: number;
  },
): Promise<ProcessRun & { topics: string[] }> {
  const out = unique("bench-candles-process-out");
  const topics = [out, `${out}-dlq`];
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "",
    HOME: Deno.env.get("HOME") ?? "",
    NO_COLOR: "1",
    KAFKA_BOOTSTRAP_SERVERS: opts.brokers,
    CANDLE_TOPIC: out,
    DLQ_TOPIC: `${out}-dlq`,
  };
  const denoDir = Deno.env.get("DENO_DIR");
  if (denoDir) env.DENO_DIR = denoDir;
  const child = new Deno.Command("deno", {
    args: [
      "run",
      ...options.flags,
      "bin/candles.ts",
      "--topic",
      options.topic,
      "--store",
      options.store,
      "--from-beginning",
      "--intervals",
      options.intervals.join(","),
      "--idle-timeout",
      "3600",
      "--group",
      unique("bench-candles-process"),
      "--format",
      "line",
      "--no-alerts",
    ],
    cwd: options.checkout.dir,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let assignedAt = 0;
  let stderr = "";
  const reading = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      stderr = (stderr + chunk).slice(-20_000);
      if (assignedAt === 0 && ASSIGNED.test(stderr)) assignedAt = performance.now();
    }
  })();
  let exited = false;
  const status = child.status.then((s) => ((exited = true), s));
  let peakRssMb: number | null = null;
  const sampling = options.rssEveryMs === undefined ? Promise.resolve() : (async () => {
    while (!exited) {
      const mb = await rssMb(child.pid);
      if (mb !== null && (peakRssMb === null || mb > peakRssMb)) peakRssMb = mb;
      await sleep(options.rssEveryMs!);
    }
  })();
  const counter = storeCounter(options.store);
  const wanted = options.messages - options.closing;
  const deadline = performance.now() + 600_000;
  let doneAt = 0;
  try {
    while (true) {
      if (exited) {
        throw new Error(`${options.checkout.ref}'s candles exited early: ${lastLines(stderr)}`);
      }
      if (performance.now() > deadline) {
        throw new Error(`${options.checkout.ref}'s candles took over 10 minutes`);
      }
      let pause = 10;
      if (assignedAt > 0) {
        const asked = performance.now();
        const count = await counter.count();
        const now = performance.now();
        if (count >= wanted) {
          doneAt = now;
          break;
        }
        pause = Math.max(pause, 4 * (now - asked));
      }
      await sleep(pause);
    }
  } finally {
    if (!exited) child.kill("SIGTERM");
    await status;
    await reading.catch(() => {});
    await sampling;
    await counter.close();
  }
  const seconds = (doneAt - assignedAt) / 1000;
  return { rate: options.messages / seconds, seconds, peakRssMb, topics };
}

const lastLines = (text: string) => text.trim().split("\n").slice(-3).join(" | ");
