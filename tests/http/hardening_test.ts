import assert from "node:assert/strict";
import { startHttpServer } from "../../http/server.ts";
import { checkBroker } from "../../kafka/broker_probe.ts";
import { LiveHub } from "../../http/live_hub.ts";
import { NO_PIPELINE } from "../../http/pipeline_snapshot.ts";
import type { ReadinessCheck } from "../../http/routes/probes.ts";
import { SqliteCandleStore } from "../../store/sqlite.ts";
import { stubPerformanceNow } from "../support/performance_clock.ts";
import { settles } from "../support/wait.ts";
import { appOver, fill } from "./support.ts";

const quiet = { sanitizeResources: false, sanitizeOps: false };

/** An answer read off the socket. */
interface RawAnswer {
  status: number;
  headers: Map<string, string>;
  body: string;
}

/** Sends one request as written (`Connection: close` is added) and reads the whole answer. */
async function rawRequest(port: number, head: string): Promise<RawAnswer> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode(`${head}\r\nConnection: close\r\n\r\n`));
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(1 << 16);
  for (;;) {
    const n = await conn.read(buffer).catch(() => null);
    if (n === null) break;
    chunks.push(buffer.slice(0, n));
  }
  conn.close();
  const bytes = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  const text = new TextDecoder().decode(bytes);
  const split = text.indexOf("\r\n\r\n");
  const [statusLine, ...lines] = text.slice(0, split).split("\r\n");
  const headers = new Map(lines.map((line) => {
    const colon = line.indexOf(":");
    return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()] as [string, string];
  }));
  let body = text.slice(split + 4);
  if (headers.get("transfer-encoding") === "chunked") {
    let decoded = "";
    for (;;) {
      const end = body.indexOf("\r\n");
      const size = parseInt(body.slice(0, end), 16);
      if (!(size > 0)) break;
      decoded += body.slice(end + 2, end + 2 + size);
      body = body.slice(end + 2 + size + 2);
    }
    body = decoded;
  }
  return { status: Number(statusLine!.split(" ")[1]), headers, body };
}

/** A real server over an in-memory store holding known data. */
async function withServer(
  options: { token?: string; readiness?: Record<string, ReadinessCheck>; hub?: LiveHub },
  body: (port: number, hub: LiveHub) => Promise<void>,
): Promise<void> {
  const store = SqliteCandleStore.open(":memory:");
  await fill(store);
  const hub = options.hub ?? new LiveHub();
  const server = await startHttpServer({
    config: { hostname: "127.0.0.1", port: 0, token: options.token ?? null },
    store,
    hub,
    pipeline: () => NO_PIPELINE,
    readiness: options.readiness ?? {},
    pipelineEveryMs: 0,
  });
  try {
    await body(server.addr.port, hub);
  } finally {
    await server.shutdown();
    await store.close();
  }
}

/** The series of a Prometheus text: every sample line's name and labels. */
function series(text: string): string[] {
  return text.split("\n").filter((line) => line !== "" && !line.startsWith("#")).map((line) =>
    line.slice(0, line.lastIndexOf(" "))
  ).sort();
}

function sampleValue(text: string, name: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  assert.ok(line, `no ${name} in /metrics`);
  return Number(line.slice(name.length + 1));
}

Deno.test({
  name:
    "Host: without a token, a request whose Host is not localhost, 127.0.0.1 or [::1] gets 421 on every route over a real socket; loopback names in any case and with any port are served",
  ...quiet,
  fn: async () => {
    await withServer({}, async (port) => {
      const paths = [
        "/api/v1/symbols",
        "/api/v1/candles/BTC",
        "/api/v1/stream",
        "/",
        "/metrics",
        "/readyz",
        "/healthz",
        "/nowhere",
      ];
      const foreign = [
        `evil.test:${port}`,
        "EVIL.TEST",
        "127.0.0.1.nip.io",
        `localhost.evil.test:${port}`,
        "localhost@evil.test",
        "[::ffff:127.0.0.1]",
        "0x7f.0.0.1",
        "127.0.0.256",
        "",
      ];
      for (const host of foreign) {
        for (const path of paths) {
          const answer = await rawRequest(port, `GET ${path} HTTP/1.1\r\nHost: ${host}`);
          assert.equal(answer.status, 421, `${host} ${path}: ${answer.body}`);
          assert.match(answer.headers.get("content-type") ?? "", /^application\/json/);
          const { error } = JSON.parse(answer.body);
          assert.match(
            error,
            /^Misdirected request for host .*localhost, 127\.0\.0\.1 and \[::1\]$/,
          );
          assert.doesNotMatch(answer.body, /BTC|45234|crypto_/);
        }
      }
      // A request target naming another host, whatever the Host header says.
      const absolute = await rawRequest(
        port,
        `GET http://evil.test:${port}/api/v1/symbols HTTP/1.1\r\nHost: 127.0.0.1:${port}`,
      );
      assert.equal(absolute.status, 421);

      const loopback = [
        `localhost:${port}`,
        "localhost",
        `LocalHost:${port}`,
        `127.0.0.1:${port}`,
        "127.0.0.1",
        "127.1.2.3:1",
        `[::1]:${port}`,
        "[::1]",
      ];
      for (const host of loopback) {
        const answer = await rawRequest(port, `GET /api/v1/symbols HTTP/1.1\r\nHost: ${host}`);
        assert.equal(answer.status, 200, `${host}: ${answer.body}`);
        assert.match(answer.body, /"BTC"/);
      }
      // An HTTP/1.0 request without Host is a local client's: served.
      assert.equal((await rawRequest(port, "GET /healthz HTTP/1.0")).status, 200);
    });
  },
});

Deno.test({
  name: "Host: with a token, any Host is served and /api still asks for the token",
  ...quiet,
  fn: async () => {
    const store = SqliteCandleStore.open(":memory:");
    await fill(store);
    const { app } = await appOver(store, { token: "tok-3141592653" });
    const host = { host: "dashboard.example.com" };
    assert.equal((await app.request("http://dashboard.example.com/healthz")).status, 200);
    assert.equal((await app.request("/healthz", { headers: host })).status, 200);
    const denied = await app.request("/api/v1/symbols", { headers: host });
    assert.equal(denied.status, 401);
    await denied.body?.cancel();
    const allowed = await app.request("/api/v1/symbols", {
      headers: { ...host, authorization: "Bearer tok-3141592653" },
    });
    assert.equal(allowed.status, 200);
    await allowed.body?.cancel();
    await store.close();
  },
});

Deno.test({
  name:
    'methods: anything but GET and HEAD gets 405 with Allow: GET, HEAD over a real socket, counted under method="other"',
  ...quiet,
  fn: async () => {
    await withServer({ token: "tok-2718281828" }, async (port) => {
      const methods = ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "FOOBAR", "get"];
      for (const method of methods) {
        for (const path of ["/api/v1/symbols", "/", "/metrics", "/no/such/route"]) {
          const answer = await rawRequest(port, `${method} ${path} HTTP/1.1\r\nHost: localhost`);
          assert.equal(answer.status, 405, `${method} ${path}: ${answer.body}`);
          assert.equal(answer.headers.get("allow"), "GET, HEAD");
          const { error } = JSON.parse(answer.body);
          assert.equal(error, `Method "${method}" is not allowed: expected GET or HEAD`);
        }
      }
      const head = await rawRequest(port, "HEAD /healthz HTTP/1.1\r\nHost: localhost");
      assert.equal(head.status, 200);
      assert.equal(head.body, "");
      const metrics = (await rawRequest(port, "GET /metrics HTTP/1.1\r\nHost: localhost")).body;
      const count = (route: string) =>
        sampleValue(
          metrics,
          `crypto_http_requests_total{route="${route}",method="other",status="4xx"}`,
        );
      assert.equal(count("/api/v1/symbols"), methods.length);
      assert.equal(count("/"), methods.length);
      assert.equal(count("/metrics"), methods.length);
      assert.equal(count("unmatched"), methods.length);
      assert.equal(
        sampleValue(
          metrics,
          'crypto_http_requests_total{route="/healthz",method="HEAD",status="2xx"}',
        ),
        1,
      );
      assert.doesNotMatch(metrics, /method="(POST|FOOBAR|get)"|status="405"/);
    });
  },
});

Deno.test({
  name:
    "metrics: 10,000 requests with random methods, paths and hosts leave /metrics with the same series as before them, with and without a token",
  ...quiet,
  fn: async () => {
    for (const token of [undefined, "tok-1414213562"]) {
      const store = SqliteCandleStore.open(":memory:");
      await fill(store);
      const { app } = await appOver(store, token === undefined ? {} : { token });
      const auth: Record<string, string> = token === undefined
        ? {}
        : { authorization: `Bearer ${token}` };
      const scrape = async () => {
        const response = await app.request("/metrics", { headers: auth });
        assert.equal(response.status, 200);
        return series(await response.text());
      };
      const before = await scrape();
      let seed = 20;
      const random = (n: number) => {
        seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
        return Math.floor((seed / 2 ** 31) * n);
      };
      const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
      const word = (length: number) =>
        Array.from({ length }, () => letters[random(letters.length)]).join("");
      const methods = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "get"];
      const paths = [
        "/api/v1/symbols",
        "/api/v1/candles/BTC",
        "/api/v1/candles/BTC?from=2025-02-30",
        "/api/v1/prices/latest",
        "/api/v1/stats/ETH",
        "/api/v1/alerts?limit=5000",
        "/api/v1/pipeline",
        "/healthz",
        "/metrics",
        "/",
        "/assets/nope.js",
      ];
      const statuses = new Set<number>();
      for (let i = 0; i < 10_000; i++) {
        const method = random(3) === 0 ? word(1 + random(12)).toUpperCase() : methods[random(8)]!;
        const path = random(2) === 0
          ? paths[random(paths.length)]!
          : `/${word(1 + random(20))}/${word(random(10))}`;
        const headers: Record<string, string> = random(4) === 0
          ? { host: `${word(5)}.test` }
          : { ...(random(2) === 0 ? auth : {}) };
        const response = await app.request(path, { method, headers });
        statuses.add(response.status);
        await response.body?.cancel();
      }
      const after = await scrape();
      assert.equal(
        after.length,
        before.length,
        `${before.length} series before, ${after.length} after`,
      );
      assert.deepEqual(after, before);
      for (const status of [200, 400, 404, 405]) {
        assert.ok(statuses.has(status), `${[...statuses]}`);
      }
      if (token === undefined) assert.ok(statuses.has(421));
      else assert.ok(statuses.has(401));
      await store.close();
    }
  },
});

Deno.test({
  name:
    "stream: with the default HTTP_MAX_STREAMS of 1000, the 1,001st client over a real socket gets 503 with a JSON error; once one leaves, the next is let in",
  ...quiet,
  fn: async () => {
    await withServer({}, async (port, hub) => {
      const request = new TextEncoder().encode(
        "GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n",
      );
      const connect = async (): Promise<{ conn: Deno.TcpConn; head: string }> => {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port });
        await conn.write(request);
        const buffer = new Uint8Array(4096);
        let text = "";
        while (!text.includes("\r\n\r\n")) {
          const n = await conn.read(buffer);
          if (n === null) break;
          text += new TextDecoder().decode(buffer.subarray(0, n));
        }
        return { conn, head: text };
      };
      const clients: Deno.TcpConn[] = [];
      try {
        for (let i = 0; i < 1000; i++) {
          const { conn, head } = await connect();
          clients.push(conn);
          assert.match(head, /^HTTP\/1\.1 200 /, `client ${i + 1}`);
        }
        assert.equal(hub.stats.clients, 1000);
        const last = await rawRequest(port, "GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1");
        assert.equal(last.status, 503);
        assert.match(last.headers.get("content-type") ?? "", /^application\/json/);
        assert.deepEqual(JSON.parse(last.body), {
          error:
            "Too many live stream clients: at most 1000 at once (HTTP_MAX_STREAMS); try again shortly",
        });
        assert.equal(hub.stats.clients, 1000);

        clients.pop()!.close();
        const deadline = Date.now() + 5000;
        while (hub.stats.clients === 1000 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        const next = await connect();
        clients.push(next.conn);
        assert.match(next.head, /^HTTP\/1\.1 200 /);
        assert.equal(hub.stats.clients, 1000);
      } finally {
        for (const conn of clients) conn.close();
      }
    });
  },
});

Deno.test({
  name: "stream: HEAD answers with the stream's headers and opens no stream",
  ...quiet,
  fn: async () => {
    const store = SqliteCandleStore.open(":memory:");
    const { app, hub } = await appOver(store);
    for (let i = 0; i < 5; i++) {
      const response = await app.request("/api/v1/stream", { method: "HEAD" });
      assert.equal(response.status, 200);
      assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
      assert.equal(response.body, null);
    }
    assert.equal(hub.stats.clients, 0);
    assert.equal(hub.stats.connected, 0);
    await store.close();
  },
});

Deno.test({
  name:
    "readyz: 100 calls within a second of a round's start open one connection to the broker, a call a second on runs the checks again, and the answer names no host or port",
  ...quiet,
  fn: async () => {
    // Stands in for the broker: counts connections and closes each at once.
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const brokerPort = (listener.addr as Deno.NetAddr).port;
    let accepted = 0;
    const accepting = (async () => {
      for await (const conn of listener) {
        accepted++;
        conn.close();
      }
    })();
    // The round's second is read off performance.now(): virtual here, so that however long the
    // calls take on the machine, they all fall within it until the test moves it on.
    const clock = stubPerformanceNow(1_000_000);
    try {
      await withServer({
        readiness: { broker: () => checkBroker([`127.0.0.1:${brokerPort}`]) },
      }, async (port) => {
        const base = `http://127.0.0.1:${port}`;
        const readyz = async () => {
          const response = await fetch(`${base}/readyz`);
          return { status: response.status, text: await response.text() };
        };
        const answers = await Promise.all(Array.from({ length: 50 }, readyz));
        for (let i = 0; i < 50; i++) answers.push(await readyz());
        assert.equal(answers.length, 100);
        assert.equal(accepted, 1);
        assert.equal(new Set(answers.map((a) => a.text)).size, 1, "one answer for all");
        const answer = answers[0]!;
        assert.equal(answer.status, 503);
        assert.deepEqual(JSON.parse(answer.text), {
          status: "not ready",
          reasons: ["broker: connection closed"],
          checks: { broker: "connection closed" },
        });
        assert.doesNotMatch(answer.text, new RegExp(`127\\.0\\.0\\.1|${brokerPort}|localhost`));

        // Just short of a second after the round began, a call still gets its answer.
        clock.advance(999);
        assert.equal((await readyz()).text, answer.text);
        assert.equal(accepted, 1);
        // A second after, a call runs the checks again.
        clock.advance(1);
        assert.equal((await readyz()).status, 503);
        assert.equal(accepted, 2);
      });
    } finally {
      clock.restore();
      listener.close();
      await accepting.catch(() => {});
    }
  },
});

Deno.test({
  name:
    "readyz: a check that never answers fails at the time limit, one check for all the calls waiting on it",
  ...quiet,
  fn: async () => {
    const store = SqliteCandleStore.open(":memory:");
    let calls = 0;
    const { app } = await appOver(store, {
      readiness: {
        store: () => store.ping(),
        source: () => {
          calls++;
          return new Promise<void>(() => {});
        },
      },
      readinessTimeoutMs: 300,
    });
    // The answers come once the time limit has cut the check short (the deadline bounds a hang).
    const answers = await settles(
      Promise.all(
        Array.from({ length: 20 }, async () => {
          const response = await app.request("/readyz");
          return { status: response.status, body: await response.json() };
        }),
      ),
      { message: "the 20 answers to /readyz", timeoutMs: 15_000 },
    );
    assert.equal(answers.length, 20);
    assert.equal(calls, 1);
    for (const answer of answers) {
      assert.equal(answer.status, 503);
      assert.deepEqual(answer.body, {
        status: "not ready",
        reasons: ["source: No answer within 300 ms"],
        checks: { store: "ok", source: "No answer within 300 ms" },
      });
    }
    await store.close();
  },
});
