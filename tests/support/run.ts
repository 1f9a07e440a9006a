/**
 * Runs a command of the program as a user would, and captures what it prints.
 *
 * @module
 */

/** What a run printed and how it ended. */
export interface RunResult {
  /** The exit code. */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

/** The V8 flag and permissions the program's tasks run with. */
export const PROGRAM_PERMISSIONS = [
  "--v8-flags=--max-semi-space-size=2",
  "--deny-ffi",
  "--allow-net",
  "--allow-env",
  "--allow-sys=hostname,osRelease,networkInterfaces,userInfo",
  "--allow-read",
  "--allow-write=.data,/tmp",
];

/** How the tests start `bin/<command>.ts`: the tasks' permissions, nothing inherited but PATH/HOME. */
function commandOptions(
  command: string,
  options: { args?: string[]; env?: Record<string, string> },
): Deno.CommandOptions {
  return {
    args: ["run", "-q", ...PROGRAM_PERMISSIONS, `bin/${command}.ts`, ...(options.args ?? [])],
    env: {
      PATH: Deno.env.get("PATH") ?? "",
      HOME: Deno.env.get("HOME") ?? "",
      DENO_DIR: Deno.env.get("DENO_DIR") ?? "",
      NO_COLOR: "1",
      // Each run its own candle store and HTTP port, unless the test names them.
      CANDLE_STORE: `sqlite:${Deno.makeTempDirSync({ prefix: "crypto-run-" })}/market.db`,
      HTTP_ADDR: "127.0.0.1:0",
      ...options.env,
    },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  };
}

/**
 * Runs `bin/<command>.ts` with the arguments and environment (nothing inherited but PATH/HOME).
 *
 * @param command `produce`, `consume`, …
 * @param options Arguments, environment and a time limit.
 * @returns The exit code and output.
 */
export async function runCommand(
  command: string,
  options: { args?: string[]; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<RunResult> {
  const child = new Deno.Command("deno", {
    ...commandOptions(command, options),
    signal: AbortSignal.timeout(options.timeoutMs ?? 120_000),
  });
  const output = await child.output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** A command running in the background. */
export interface RunningCommand {
  /** What it has printed so far on stdout. */
  stdout(): string;
  /** What it has printed so far on stderr. */
  stderr(): string;
  /** Waits until `test` holds for the output so far (polling), or throws after `timeoutMs`. */
  waitFor(test: (stdout: string, stderr: string) => boolean, timeoutMs?: number): Promise<void>;
  /** Sends a signal. */
  kill(signal?: Deno.Signal): void;
  /** Waits for it to end. */
  done: Promise<RunResult>;
  /**
   * Waits for it to end by itself; past `timeoutMs` (a limit on a hang, not a measure) kills it
   * and throws, naming what was awaited, with the output so far.
   */
  exits(what: string, timeoutMs?: number): Promise<RunResult>;
}

/**
 * Starts `bin/<command>.ts` in the background, as {@linkcode runCommand} does.
 *
 * @param command `produce`, `consume`, …
 * @param options Arguments and environment.
 * @returns The running command.
 */
export function spawnCommand(
  command: string,
  options: { args?: string[]; env?: Record<string, string> } = {},
): RunningCommand {
  const child = new Deno.Command("deno", commandOptions(command, options)).spawn();
  let out = "";
  let err = "";
  const collect = async (stream: ReadableStream<Uint8Array>, add: (s: string) => void) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) add(chunk);
  };
  const reading = Promise.all([
    collect(child.stdout, (s) => (out += s)),
    collect(child.stderr, (s) => (err += s)),
  ]);
  const kill = (signal: Deno.Signal = "SIGTERM") => {
    try {
      child.kill(signal);
    } catch {
      // already ended
    }
  };
  const done = (async () => {
    const status = await child.status;
    await reading;
    return { code: status.code, stdout: out, stderr: err };
  })();
  return {
    stdout: () => out,
    stderr: () => err,
    async waitFor(test, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (!test(out, err)) {
        if (Date.now() > deadline) {
          throw new Error(`Timed out waiting for ${command}:\n${out}\n${err}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    kill,
    done,
    async exits(what, timeoutMs = 60_000) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const hung = new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), timeoutMs);
      });
      try {
        const result = await Promise.race([done, hung]);
        if (result) return result;
      } finally {
        clearTimeout(timer);
      }
      kill("SIGKILL");
      await done;
      throw new Error(
        `Timed out after ${timeoutMs} ms waiting for ${command} ${what}:\n${out}\n${err}`,
      );
    },
  };
}
