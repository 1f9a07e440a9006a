/**
 * A TCP forwarder on 127.0.0.1 that a test can freeze — connections stay open, nothing passes
 * either way, as with a server that stopped answering — thaw, or cut (every connection closed).
 *
 * @module
 */

/** A forwarder to one `host:port`. */
export class FreezableProxy {
  readonly #listener: Deno.Listener;
  readonly #target: { hostname: string; port: number };
  readonly #conns = new Set<Deno.Conn>();
  #gate: PromiseWithResolvers<void> | null = null;
  #accepting: Promise<void>;
  #closed = false;

  /** @param target `host:port` to forward to. */
  constructor(target: string) {
    const [hostname, port] = target.split(":");
    this.#target = { hostname: hostname!, port: Number(port) };
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#accepting = this.#accept();
  }

  /** The port it listens on. */
  get port(): number {
    return (this.#listener.addr as Deno.NetAddr).port;
  }

  /** From now on, bytes read either way are held, not passed on. */
  freeze(): void {
    this.#gate ??= Promise.withResolvers<void>();
  }

  /** Passes on what was held and everything after it. */
  thaw(): void {
    this.#gate?.resolve();
    this.#gate = null;
  }

  /** Closes every connection open now (new ones are still accepted). */
  cut(): void {
    for (const conn of this.#conns) this.#close(conn);
  }

  /** Stops listening and closes everything (again: nothing). */
  async close(): Promise<void> {
    this.thaw();
    if (this.#closed) return;
    this.#closed = true;
    this.#listener.close();
    this.cut();
    await this.#accepting;
  }

  async #accept(): Promise<void> {
    try {
      for await (const client of this.#listener) {
        Deno.connect(this.#target).then((upstream) => {
          this.#conns.add(client);
          this.#conns.add(upstream);
          void this.#pipe(client, upstream);
          void this.#pipe(upstream, client);
        }, () => client.close());
      }
    } catch {
      // the listener was closed
    }
  }

  async #pipe(from: Deno.Conn, to: Deno.Conn): Promise<void> {
    const buffer = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const n = await from.read(buffer);
        if (n === null) break;
        const chunk = buffer.slice(0, n);
        while (this.#gate) await this.#gate.promise;
        for (let written = 0; written < chunk.length;) {
          written += await to.write(chunk.subarray(written));
        }
      }
    } catch {
      // either side closed
    } finally {
      this.#close(from);
      this.#close(to);
    }
  }

  #close(conn: Deno.Conn): void {
    if (!this.#conns.delete(conn)) return;
    try {
      conn.close();
    } catch {
      // closed already
    }
  }
}
