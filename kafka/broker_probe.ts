/**
 * Whether a Kafka broker answers, for the `broker` check of `/readyz` (`docs/api.md`): an
 * ApiVersions request on a fresh connection, without a client, a group or any metadata.
 *
 * @module
 */
import { deadline, DeadlineError } from "../runtime/deadline.ts";

/**
 * Whether a Kafka broker answers: an ApiVersions request on a fresh connection to the first
 * bootstrap server that accepts one, within `timeoutMs` each.
 *
 * @param brokers The bootstrap servers, `host:port`.
 * @param timeoutMs Time allowed for each server.
 * @returns Resolves when one answered, rejects with the last reason (`host:port: …`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkBroker } from "./broker_probe.ts";
 * await assert.rejects(checkBroker([]), /no bootstrap server/);
 * ```
 */
export async function checkBroker(brokers: readonly string[], timeoutMs = 1500): Promise<void> {
  let reason = "no bootstrap server";
  for (const broker of brokers) {
    const done = new AbortController();
    try {
      await deadline(askApiVersions(broker, done.signal), timeoutMs);
      return;
    } catch (error) {
      reason = error instanceof DeadlineError
        ? `${broker}: no answer within ${timeoutMs} ms`
        : error instanceof Deno.errors.ConnectionRefused
        ? `${broker}: connection refused`
        : error instanceof Error
        ? (error.message.startsWith(`${broker}: `) ? error.message : `${broker}: ${error.message}`)
        : `${broker}: ${String(error)}`;
    } finally {
      // Closes a connection the deadline left open, now or once it is made.
      done.abort();
    }
  }
  throw new Error(reason);
}

/** ApiVersions v0 on a connection of its own, closed when it ends or when `done` aborts. */
async function askApiVersions(broker: string, done: AbortSignal): Promise<void> {
  const at = broker.lastIndexOf(":");
  const hostname = broker.slice(0, at).replace(/^\[(.*)\]$/, "$1");
  const port = Number(broker.slice(at + 1));
  const conn = await Deno.connect({ hostname, port });
  const close = () => {
    try {
      conn.close();
    } catch {
      // already closed
    }
  };
  if (done.aborted) return close();
  done.addEventListener("abort", close, { once: true });
  try {
    // Size, api key 18, version 0, correlation id, client id "readyz".
    const client = new TextEncoder().encode("readyz");
    const request = new DataView(new ArrayBuffer(4 + 10 + client.length));
    request.setInt32(0, 10 + client.length);
    request.setInt16(4, 18);
    request.setInt16(6, 0);
    request.setInt32(8, 4242);
    request.setInt16(12, client.length);
    new Uint8Array(request.buffer).set(client, 14);
    await conn.write(new Uint8Array(request.buffer));
    const head = new Uint8Array(10);
    let got = 0;
    while (got < head.length) {
      const n = await conn.read(head.subarray(got));
      if (n === null) throw new Error(`${broker}: connection closed`);
      got += n;
    }
    const view = new DataView(head.buffer);
    if (view.getInt32(4) !== 4242) throw new Error(`${broker}: not a Kafka broker`);
    if (view.getInt16(8) !== 0) throw new Error(`${broker}: error ${view.getInt16(8)}`);
  } finally {
    done.removeEventListener("abort", close);
    close();
  }
}
