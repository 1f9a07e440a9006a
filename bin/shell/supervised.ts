/**
 * Running a command's actors to the end: until their work is done or a signal stops them, then
 * cleaning up, printing the summary and exiting (`docs/operations.md`).
 *
 * @module
 */
import { printErr } from "./console.ts";
import { describeFatal } from "./exit.ts";
import { onStopSignals } from "./signals.ts";

/** What {@linkcode runSupervised} does around a run. */
export interface SupervisedRun {
  /** Where the stopping notice goes. @default {printErr} */
  notice?: (line: string) => void;
  /** The exit code of a run that ended without a fatal error. @default {() => 0} */
  exitCode?: () => number;
  /** Disconnects, after the actors have stopped. */
  cleanup: () => Promise<void>;
  /** Prints the closing lines, last. */
  summary: () => void;
}

/**
 * Runs a supervisor until its work is done or a signal stops it (a second signal exits 130),
 * then cleans up, prints the summary and exits: 0, or 1 with the fatal error.
 *
 * @param supervisor The topology.
 * @param run Cleanup and summary.
 * @returns Never: it exits.
 */
export async function runSupervised(
  supervisor: { run(): Promise<void>; stop(): Promise<void> },
  run: SupervisedRun,
): Promise<never> {
  const notice = run.notice ?? printErr;
  const removeHandlers = onStopSignals((signal) => {
    notice(`\nReceived ${signal}: stopping (press Ctrl+C again to exit at once)...`);
    void supervisor.stop();
  });
  let code = 0;
  try {
    await supervisor.run();
    code = run.exitCode?.() ?? 0;
  } catch (error) {
    code = 1;
    printErr(`error: ${describeFatal(error)}`);
  }
  removeHandlers();
  await run.cleanup();
  run.summary();
  Deno.exit(code);
}
