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

/** Permissions the program's tasks run with. */
export const PROGRAM_PERMISSIONS = [
  "--allow-net",
  "--allow-env",
  "--allow-sys=hostname,osRelease,networkInterfaces",
  "--allow-read=.",
];

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
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-q", ...PROGRAM_PERMISSIONS, `bin/${command}.ts`, ...(options.args ?? [])],
    env: {
      PATH: Deno.env.get("PATH") ?? "",
      HOME: Deno.env.get("HOME") ?? "",
      DENO_DIR: Deno.env.get("DENO_DIR") ?? "",
      NO_COLOR: "1",
      ...options.env,
    },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
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
