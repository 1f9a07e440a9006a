/**
 * Stop signals: the first SIGINT or SIGTERM begins a clean stop, a second one exits at once with
 * 130 (`docs/operations.md`).
 *
 * @module
 */

const encoder = new TextEncoder();

/**
 * On the first SIGINT or SIGTERM calls `stop`; on a second one exits at once with 130.
 *
 * @param stop Begins a clean stop.
 * @returns A function that removes the handlers.
 */
export function onStopSignals(stop: (signal: string) => void): () => void {
  let stoppingSince: number | null = null;
  const handlers: [Deno.Signal, () => void][] = (["SIGINT", "SIGTERM"] as const).map((
    signal,
  ) => [signal, () => {
    // One request can arrive twice within a millisecond (a tool that signals both the process
    // and its group); a person pressing Ctrl+C again takes far longer than 100 ms.
    if (stoppingSince !== null && performance.now() - stoppingSince < 100) return;
    if (stoppingSince !== null) {
      Deno.stderr.writeSync(encoder.encode(`\nSecond ${signal}: exiting now\n`));
      Deno.exit(130);
    }
    stoppingSince = performance.now();
    stop(signal);
  }]);
  for (const [signal, handler] of handlers) Deno.addSignalListener(signal, handler);
  return () => {
    for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
  };
}
