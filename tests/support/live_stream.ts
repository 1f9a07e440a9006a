/**
 * Following a running `serve`: its base URL once it listens, and the events of its live stream
 * (`/api/v1/stream`) collected as they arrive, for a test to wait on.
 *
 * @module
 */
import { type SseEvent, SseReader } from "../http/sse.ts";
import { type RunningCommand, spawnCommand } from "./run.ts";

/** A `serve` started by a test. */
export interface RunningServe {
  /** The process. */
  run: RunningCommand;
  /** `http://host:port`, as it printed it. */
  base: string;
  /** Stops it with SIGTERM; its exit code and output. */
  stop(): Promise<{ code: number; stdout: string; stderr: string }>;
}

/**
 * Starts `deno task serve` with `env`, and waits until it listens.
 *
 * @param env Its environment (nothing else is inherited but PATH and HOME).
 * @returns The running command and its base URL.
 */
export async function startServe(env: Record<string, string>): Promise<RunningServe> {
  const run = spawnCommand("serve", { env });
  try {
    await run.waitFor((out) => out.includes("Listening on"));
  } catch (error) {
    run.kill("SIGKILL");
    await run.done;
    throw error;
  }
  const base = /^Listening on (http:\/\/\S+) /m.exec(run.stdout())![1]!;
  return {
    run,
    base,
    stop: () => {
      run.kill("SIGTERM");
      return run.done;
    },
  };
}

/** A live stream being read. */
export interface FollowedStream {
  /** The events received so far, in order. */
  events: SseEvent[];
  /** Stops reading (the client goes away). */
  close(): Promise<void>;
}

/**
 * Opens `/api/v1/stream` with `query` and collects its events in the background.
 *
 * @param base The server's base URL.
 * @param query The stream's query, e.g. `symbols=BTC`.
 * @param headers Request headers (a token).
 * @returns The events as they come, and how to stop.
 */
export async function followStream(
  base: string,
  query: string,
  headers: Record<string, string> = {},
): Promise<FollowedStream> {
  const response = await fetch(`${base}/api/v1/stream?${query}`, { headers });
  if (response.status !== 200 || response.body === null) {
    throw new Error(`GET /api/v1/stream?${query}: ${response.status} ${await response.text()}`);
  }
  const reader = new SseReader(response.body);
  const events: SseEvent[] = [];
  let open = true;
  const reading = (async () => {
    while (open) {
      try {
        // No limit of its own: the test's waits have their deadlines.
        events.push(await reader.next(24 * 3_600_000));
      } catch {
        return;
      }
    }
  })();
  return {
    events,
    close: async () => {
      open = false;
      await reader.cancel();
      await reading;
    },
  };
}
