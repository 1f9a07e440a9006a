/**
 * Starting the HTTP server, or ending the program with one line and exit 1 when it cannot
 * listen (`docs/operations.md`).
 *
 * @module
 */
import { type HttpServer, type HttpServerOptions, startHttpServer } from "../../http/server.ts";
import { describeFatal, fail } from "./exit.ts";

/**
 * Starts the HTTP server, or ends the program: exit 1 with one line when the address is taken
 * or cannot be listened on.
 *
 * @param options What the server needs.
 * @param choices How else to run, for an address in use, e.g. `--http or HTTP_ADDR`.
 * @returns The running server.
 */
export async function listenOrExit(
  options: HttpServerOptions,
  choices: string,
): Promise<HttpServer> {
  try {
    return await startHttpServer(options);
  } catch (error) {
    const where = `${options.config.hostname}:${options.config.port}`;
    fail(
      error instanceof Deno.errors.AddrInUse
        ? `Cannot listen on ${where}: the address is in use (choose another with ${choices})`
        : `Cannot listen on ${where}: ${describeFatal(error)}`,
      1,
    );
  }
}
