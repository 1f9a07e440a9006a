import assert from "node:assert/strict";
import { kafkaTest, TEST_BROKERS } from "../support/broker.ts";
import { settles } from "../support/wait.ts";
import { PROGRAM_PERMISSIONS, runCommand } from "../support/run.ts";
import { createTestDatabase, freePort, REDIS_TEST_URL } from "../support/services.ts";

/** A TCP forwarder that can be cut and restored, to take a dependency away from the program. */
class TcpProxy {
  #listener: Deno.Listener | null = null;
  #conns = new Set<Deno.Conn>();
  readonly port: number;
  #target: { hostname: string; port: number };

  constructor(target: string) {
    const [hostname, port] = target.split(":");
    this.#target = { hostname: hostname!, port: Number(port) };
    this.port = freePort();
    this.restore();
  }

  restore(): void {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: this.port });
    void this.#accept(this.#listener);
  }

  cut(): void {
    this.#listener?.close();
    this.#listener = null;
    for (const conn of this.#conns) {
      try {
        conn.close();
      } catch {
        // closed already
      }
    }
    this.#conns.clear();
  }

  async #accept(listener: Deno.Listener): Promise<void> {
    try {
      for await (const client of listener) {
        Deno.connect(this.#target).then((upstream) => {
          this.#conns.add(client);
          this.#conns.add(upstream);
          const pipe = (from: Deno.Conn, to: Deno.Conn) =>
            from.readable.pipeTo(to.writable).catch(() => {}).finally(() => {
              for (const c of [from, to]) {
                this.#conns.delete(c);
                try {
                  c.close();
                } catch {
                  // closed already
                }
              }
            });
          void pipe(client, upstream);
          void pipe(upstream, client);
        }, () => client.close());
      }
    } catch {
      // the listener was closed
    }
  }
}

Deno.test("serve refuses to start on a non-loopback address without API_TOKEN (exit 2)", async () => {
  const run = await runCommand("serve", { env: { HTTP_ADDR: "0.0.0.0:8080" }, timeoutMs: 60_000 });
  assert.equal(run.code, 2, run.stderr);
  assert.equal(
    run.stderr.trim(),
    "error: Invalid HTTP_ADDR: 0.0.0.0 is not a loopback address, so API_TOKEN is required (clients then send Authorization: Bearer <token>); set it, or listen on 127.0.0.1",
  );
  const flag = await runCommand("serve", { args: ["--http", "nowhere"], timeoutMs: 60_000 });
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /^error: Invalid --http: expected host:port/);
  const help = await runCommand("serve", { args: ["--help"], timeoutMs: 60_000 });
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--http <host:port>.*\[env: HTTP_ADDR\]/);
});

/** Starts `serve` with its task's permissions; resolves once it listens. */
async function startServe(env: Record<string, string>) {
  const child = new Deno.Command("deno", {
    args: ["run", "-q", ...PROGRAM_PERMISSIONS, "--allow-write=/tmp", "bin/serve.ts"],
    env: {
      PATH: Deno.env.get("PATH") ?? "",
      HOME: Deno.env.get("HOME") ?? "",
      NO_COLOR: "1",
      ...env,
    },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  const reading = child.stdout.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (chunk) => void (out += chunk) }),
  );
  const errors = new Response(child.stderr).text();
  const deadline = Date.now() + 60_000;
  while (!out.includes("Listening on")) {
    if (Date.now() > deadline) throw new Error(`serve did not start:\n${out}\n${await errors}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    output: () => out,
    /** Ends it at once, for a test that found it hanging. */
    kill: () => child.kill("SIGKILL"),
    async stop() {
      child.kill("SIGTERM");
      const status = await child.status;
      await reading.catch(() => {});
      return { code: status.code, stderr: await errors };
    },
  };
}

async function readyz(base: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${base}/readyz`);
  return { status: response.status, body: await response.json() };
}

async function until(
  base: string,
  test: (r: { status: number; body: Record<string, unknown> }) => boolean,
  what: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await readyz(base);
    if (test(r)) return r;
    if (Date.now() > deadline) throw new Error(`${what}: last /readyz ${JSON.stringify(r)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

kafkaTest(
  "serve: /api needs the token off loopback; /readyz is 503 with the reason while the store or the broker is away, 200 after",
  async () => {
    const db = await createTestDatabase();
    const pgUrl = new URL(db.url);
    const pgProxy = new TcpProxy(`${pgUrl.hostname}:${pgUrl.port || "5432"}`);
    const kafkaProxy = new TcpProxy(TEST_BROKERS.split(",")[0]!);
    pgUrl.hostname = "127.0.0.1";
    pgUrl.port = String(pgProxy.port);
    const port = freePort();
    const token = "serve-test-token-1234";
    const serve = await startServe({
      HTTP_ADDR: `0.0.0.0:${port}`,
      API_TOKEN: token,
      CANDLE_STORE: pgUrl.href,
      KAFKA_BOOTSTRAP_SERVERS: `127.0.0.1:${kafkaProxy.port}`,
      REDIS_URL: REDIS_TEST_URL,
    });
    const base = `http://127.0.0.1:${port}`;
    try {
      const denied = await fetch(`${base}/api/v1/symbols`);
      assert.equal(denied.status, 401);
      assert.doesNotMatch(await denied.text(), new RegExp(token));
      const allowed = await fetch(`${base}/api/v1/symbols`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(allowed.status, 200);
      assert.deepEqual(await allowed.json(), { symbols: [] });

      await until(base, (r) => r.status === 200, "ready at first");

      pgProxy.cut();
      const storeDown = await until(base, (r) => r.status === 503, "not ready without the store");
      assert.equal(storeDown.body.status, "not ready");
      assert.deepEqual(
        (storeDown.body.reasons as string[]).map((r) => r.split(":")[0]),
        ["store"],
      );
      assert.doesNotMatch(JSON.stringify(storeDown.body), /password|postgres:\/\/[^@]*@/);
      assert.doesNotMatch(
        JSON.stringify(storeDown.body),
        new RegExp(`127\\.0\\.0\\.1|${pgProxy.port}`),
      );
      pgProxy.restore();
      await until(base, (r) => r.status === 200, "ready again with the store");

      kafkaProxy.cut();
      const brokerDown = await until(base, (r) => r.status === 503, "not ready without the broker");
      assert.match((brokerDown.body.reasons as string[])[0]!, /^broker: \S/);
      // What is not ready and why, never where.
      assert.doesNotMatch(
        JSON.stringify(brokerDown.body),
        new RegExp(`127\\.0\\.0\\.1|${kafkaProxy.port}|${pgProxy.port}`),
      );
      kafkaProxy.restore();
      await until(base, (r) => r.status === 200, "ready again with the broker");
    } finally {
      const end = await serve.stop();
      pgProxy.cut();
      kafkaProxy.cut();
      await db.drop();
      assert.equal(end.code, 0, end.stderr);
      assert.doesNotMatch(end.stderr + serve.output(), new RegExp(token));
    }
  },
);

Deno.test("serve with a Redis that never answers stops by itself on SIGTERM, with exit 0 and its summary", async () => {
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const deadPort = closed.addr.port;
  closed.close();
  const serve = await startServe({
    HTTP_ADDR: "127.0.0.1:0",
    CANDLE_STORE: `sqlite:${await Deno.makeTempDir()}/market.db`,
    REDIS_URL: `redis://127.0.0.1:${deadPort}`,
    KAFKA_BOOTSTRAP_SERVERS: `127.0.0.1:${deadPort}`,
  });
  // The live feed has tried Redis and found it away.
  const base = /Listening on (\S+)/.exec(serve.output())![1]!;
  await until(
    base,
    (r) => /^Redis/.test(String((r.body.checks as Record<string, unknown> | undefined)?.source)),
    "the live feed to find Redis away",
  );
  // The deadline bounds a hang; how long the stop takes is no concern of the test.
  const stopping = serve.stop();
  const end = await settles(stopping, { message: "serve to stop after SIGTERM", timeoutMs: 30_000 })
    .catch(async (error) => {
      serve.kill();
      await stopping;
      throw new Error(`${error.message}:\n${serve.output()}`);
    });
  assert.equal(end.code, 0, end.stderr);
  assert.match(serve.output(), /Live events published: 0, refused: 0/);
});
