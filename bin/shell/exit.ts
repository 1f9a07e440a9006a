/**
 * Ending the program with one line: `error: <message>` on stderr and the exit code
 * (`docs/operations.md`: 1 for a failure, 2 for bad configuration).
 *
 * @module
 */

const encoder = new TextEncoder();

/**
 * Writes `error: <message>` to stderr and exits with the code.
 *
 * @param message One line.
 * @param code The exit code.
 * @returns Never.
 */
export function fail(message: string, code: number): never {
  Deno.stderr.writeSync(encoder.encode(`error: ${message}\n`));
  Deno.exit(code);
}

/**
 * Describes a fatal error in one line, with its cause when it has one.
 *
 * @param error What was thrown.
 * @returns The line.
 */
export function describeFatal(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : "";
  return cause && !message.includes(cause) ? `${message}: ${cause}` : message;
}
