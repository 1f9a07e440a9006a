/**
 * Starts the program's real commands (`bin/<command>.ts`) as subprocesses, with the
 * permissions of their `deno task`, and keeps what they print.
 *
 * @module
 */

/**
 * The flags of `deno task produce`, `consume`, `start`, `lag` and `candles` in deno.json: the V8
 * heap's young generation capped as the tasks cap it, and their permissions (so the suite keeps its
 * SQLite stores under `.data/`, where the tasks may write).
 */
export const PERMISSIONS: Record<string, string[]> = {
  produce: [
    "--v8-flags=--max-semi-space-size=2",
    "--deny-ffi",
    "--allow-net",
    "--allow-env",
    "--allow-sys=hostname,osRelease,networkInterfaces",
    "--allow-read",
  ],
  consume: [
    "--v8-flags=--max-semi-space-size=2",
    "--deny-ffi",
    "--allow-net",
    "--allow-env",
    "--allow-sys=hostname,osRelease,networkInterfaces",
    "--allow-read=.",
  ],
  start: [
    "--v8-flags=--max-semi-space-size=2",
    "--deny-ffi",
    "--allow-net",
    "--allow-env",
    "--allow-sys=hostname,osRelease,networkInterfaces,userInfo",
    "--allow-read",
    "--allow-write=.data",
  ],
  candles: [
    "--v8-flags=--max-semi-space-size=2",
    "--deny-ffi",
    "--allow-net",
    "--allow-env",
    "--allow-sys=hostname,osRelease,networkInterfaces,userInfo",
    "--allow-read",
    "--allow-write=.data",
  ],
  lag: [
    "--deny-ffi",
    "--allow-net",
    "--allow-env",
    "--allow-sys=hostname,osRelease,networkInterfaces",
    "--allow-read=.",
  ],
};

/** How a command ended. */
export interface Ended {
  /** The exit code (128 + n when a signal ended it). */
  code: number;
  /** The signal that ended it, if one did. */
  signal: string | null;
}

/** A command running in the background. */
export class RunningCommand {
  /** `produce` or `consume`. */
  readonly name: string;
  /** Resolves when it has ended and its output is read. */
  readonly done: Promise<Ended>;
  #child: Deno.ChildProcess;
  #stdout = "";
  #stderr = "";
  #ended: Ended | null = null;

  /**
   * @param name The command: `produce` or `consume`.
   * @param options Its arguments and environment (nothing inherited but PATH, HOME, DENO_DIR).
   */
  constructor(name: string, options: { args: string[]; env: Record<string, string> }) {
    const permissions = PERMISSIONS[name];
    if (!permissions) {
      throw new RangeError(
        `Cannot run command "${name}": expected produce, consume, start, lag or candles`,
      );
    }
    this.name = name;
    // The HTTP server of `start` on a port of its own, so that runs at once do not collide.
    const env: Record<string, string> = {
      PATH: Deno.env.get("PATH") ?? "",
      NO_COLOR: "1",
      HTTP_ADDR: "127.0.0.1:0",
    };
    for (const variable of ["HOME", "DENO_DIR"]) {
      const value = Deno.env.get(variable);
      if (value) env[variable] = value;
    }
    const child = new Deno.Command("deno", {
      args: ["run", "-q", ...permissions, `bin/${name}.ts`, ...options.args],
      env: { ...env, ...options.env },
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#child = child;
    const collect = async (stream: ReadableStream<Uint8Array>, add: (s: string) => void) => {
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) add(chunk);
    };
    const reading = Promise.all([
      collect(child.stdout, (s) => (this.#stdout += s)),
      collect(child.stderr, (s) => (this.#stderr += s)),
    ]);
    this.done = (async () => {
      const status = await child.status;
      await reading;
      this.#ended = { code: status.code, signal: status.signal };
      return this.#ended;
    })();
  }

  /** What it has printed on stdout so far. */
  get stdout(): string {
    return this.#stdout;
  }

  /** What it has printed on stderr so far. */
  get stderr(): string {
    return this.#stderr;
  }

  /** Its process id: the program's own, as `deno run` does not fork. */
  get pid(): number {
    return this.#child.pid;
  }

  /** How it ended, or null while it runs. */
  get ended(): Ended | null {
    return this.#ended;
  }

  /**
   * Sends a signal (nothing when it has already ended).
   *
   * @param signal The signal.
   */
  kill(signal: Deno.Signal = "SIGTERM"): void {
    if (this.#ended) return;
    try {
      this.#child.kill(signal);
    } catch {
      // already ended
    }
  }

  /**
   * Waits until `test` holds for the output so far, polling.
   *
   * @param test Looks at stdout and stderr.
   * @param timeoutMs How long to wait.
   * @throws {Error} When it does not hold in time, or the command ended first.
   */
  async waitFor(
    test: (stdout: string, stderr: string) => boolean,
    timeoutMs = 60_000,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!test(this.#stdout, this.#stderr)) {
      if (this.#ended) {
        throw new Error(
          `${this.name} ended (exit ${this.#ended.code}) before the expected output:\n${
            tail(this.#stderr)
          }`,
        );
      }
      if (Date.now() > deadline) {
        throw new Error(`Timed out waiting for ${this.name}:\n${tail(this.#stderr)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /**
   * Sends SIGTERM and waits for it to end; SIGKILL past `timeoutMs`.
   *
   * @param timeoutMs How long a clean stop may take.
   * @returns How it ended.
   */
  async stop(timeoutMs = 45_000): Promise<Ended> {
    this.kill("SIGTERM");
    const timer = setTimeout(() => this.kill("SIGKILL"), timeoutMs);
    try {
      return await this.done;
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Starts `bin/<name>.ts` in the background.
 *
 * @param name `produce`, `consume`, `start` or `lag`.
 * @param options Arguments and environment.
 * @returns The running command.
 */
export function spawn(
  name: "produce" | "consume" | "start" | "lag" | "candles",
  options: { args: string[]; env?: Record<string, string> },
): RunningCommand {
  return new RunningCommand(name, { args: options.args, env: options.env ?? {} });
}

/**
 * How many times a text occurs in the output.
 *
 * @param text The output.
 * @param needle What to count.
 * @returns The count.
 */
export function occurrences(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

/**
 * The last lines of some output, for error messages.
 *
 * @param text The output.
 * @param lines How many.
 * @returns Them.
 */
export function tail(text: string, lines = 15): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/**
 * Waits.
 *
 * @param ms How long.
 * @returns Resolves after it.
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
