/**
 * A PostgreSQL and a Redis of the fault suite's own, on free ports, which it stops and starts
 * (the machine's shared ones are never touched).
 *
 * @module
 */

/** Runs a shell command line; rejects with its output when it fails. */
async function sh(line: string): Promise<string> {
  const output = await new Deno.Command("bash", {
    args: ["-c", line],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  if (!output.success) throw new Error(`${line.split(" ").slice(0, 3).join(" ")}: ${text.trim()}`);
  return text;
}

/**
 * A free loopback port (it was free a moment ago).
 *
 * @returns The port.
 */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

const PG_BIN = `$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)`;
/** Runs a PostgreSQL tool as the `postgres` user when root (the server refuses to run as root). */
const asPostgres = (tool: string, args: string) =>
  `if [ "$(id -u)" = 0 ]; then runuser -u postgres -- ${PG_BIN}/${tool} ${args}; else ${PG_BIN}/${tool} ${args}; fi`;

/** A PostgreSQL cluster in a temporary folder, on a port of its own, trust authentication. */
export class PrivatePostgres {
  /** Its URL (database `postgres`, user `postgres`). */
  readonly url: string;
  readonly #dir: string;
  readonly #port: number;

  private constructor(dir: string, port: number) {
    this.#dir = dir;
    this.#port = port;
    this.url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  }

  /**
   * Makes the cluster and starts it.
   *
   * @returns The running cluster.
   */
  static async start(): Promise<PrivatePostgres> {
    const dir = await Deno.makeTempDir({ prefix: "faults-pg-" });
    await sh(`if [ "$(id -u)" = 0 ]; then chown postgres "${dir}"; fi`);
    await sh(asPostgres("initdb", `-D "${dir}/data" -U postgres -A trust --no-sync -E UTF8`));
    const pg = new PrivatePostgres(dir, freePort());
    await pg.up();
    return pg;
  }

  /** Starts the server (after {@linkcode PrivatePostgres.down}). */
  async up(): Promise<void> {
    await sh(asPostgres(
      "pg_ctl",
      `-D "${this.#dir}/data" -l "${this.#dir}/log" -w -t 60 -o "-p ${this.#port} -k ${this.#dir} -c listen_addresses=127.0.0.1 -c fsync=off" start`,
    ));
  }

  /** Stops the server at once (`pg_ctl stop -m fast`: connections are cut). */
  async down(): Promise<void> {
    await sh(asPostgres("pg_ctl", `-D "${this.#dir}/data" -m fast -w stop`));
  }

  /** Stops the server and removes its folder. */
  async remove(): Promise<void> {
    await this.down().catch(() => {});
    await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
  }
}

/** A Redis on a port of its own, keeping nothing on disk. */
export class PrivateRedis {
  /** Its URL. */
  readonly url: string;
  readonly #port: number;
  #child: Deno.ChildProcess | null = null;

  private constructor(port: number) {
    this.#port = port;
    this.url = `redis://127.0.0.1:${port}`;
  }

  /**
   * Starts one.
   *
   * @returns The running server.
   */
  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(freePort());
    await redis.up();
    return redis;
  }

  /** Starts the server (after {@linkcode PrivateRedis.down}). */
  async up(): Promise<void> {
    this.#child = new Deno.Command("bash", {
      args: [
        "-c",
        `exec redis-server --port ${this.#port} --bind 127.0.0.1 --save "" --appendonly no`,
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    for (let i = 0; i < 100; i++) {
      try {
        (await Deno.connect({ hostname: "127.0.0.1", port: this.#port })).close();
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error(`redis-server did not listen on ${this.#port}`);
  }

  /** Kills the server (SIGKILL: nothing is said to its clients). */
  async down(): Promise<void> {
    if (!this.#child) return;
    this.#child.kill("SIGKILL");
    await this.#child.status;
    this.#child = null;
  }
}
