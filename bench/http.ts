/**
 * HTTP benchmarks (`deno task bench --only http`): the API against a bare `Deno.serve` answering
 * the same bytes (wrk, requests/s and p99), the API with its cache off against a bare
 * `Deno.serve` running the store's query per request, the live stream's fan-out to 1,000 clients, and the
 * dashboard's first load in headless Chromium. Bench code only; the product never imports it.
 *
 * @module
 */
import { percentile, round, say, sleep } from "./common.ts";

const TARGET = new URL("./http_target.ts", import.meta.url).pathname;

/** A server process of `http_target.ts`. */
async function target(mode: string, port: number, extra: string[] = []) {
  const child = new Deno.Command("deno", {
    args: [
      "run",
      "-q",
      "--allow-net",
      "--allow-env",
      "--allow-sys",
      "--allow-read",
      TARGET,
      mode,
      String(port),
      ...extra,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("ready")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`http_target ${mode} ended before it was ready`);
    out += value;
  }
  reader.releaseLock();
  return {
    async stop() {
      try {
        child.kill("SIGKILL");
      } catch {
        // ended
      }
      await child.status;
      await child.stdout.cancel().catch(() => {});
    },
    status: child.status,
  };
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** One wrk run: requests/s and p99 in ms. */
async function wrk(url: string, seconds: number): Promise<{ rps: number; p99: number }> {
  const out = await new Deno.Command("wrk", {
    args: ["-t1", "-c32", `-d${seconds}s`, "--latency", url],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1]);
  const m = /\s99%\s+([\d.]+)(us|ms|s)\b/.exec(text);
  const scale = { us: 0.001, ms: 1, s: 1000 } as const;
  const p99 = m ? Number(m[1]) * scale[m[2] as keyof typeof scale] : NaN;
  if (!Number.isFinite(rps) || /Non-2xx/.test(text)) throw new Error(`wrk: ${text}`);
  return { rps, p99 };
}

/**
 * The figures of the API against a bare server: each path's contenders, one after the other in
 * each repetition, every one a fresh server process, wrk's median requests/s and p99. The
 * 500-candle path has one more: a bare server that runs the store's query for every request
 * (`bare-query`), beside the API with its answer cache off (`app-nocache`).
 */
export async function apiThroughput(
  options: { seconds: number; repetitions: number },
): Promise<Record<string, unknown>> {
  const paths = {
    prices_latest: { path: "/api/v1/prices/latest", modes: ["app", "bare", "app-nocache"] },
    candles_500: {
      path: "/api/v1/candles/BTC?limit=500",
      modes: ["app", "bare", "app-nocache", "bare-query"],
    },
  };
  const results: Record<string, unknown> = {};
  for (const [key, { path, modes }] of Object.entries(paths)) {
    const runs: Record<string, { rps: number; p99: number }[]> = Object.fromEntries(
      modes.map((mode) => [mode.replace("-", "_"), []]),
    );
    for (let r = 0; r < options.repetitions; r++) {
      for (const mode of modes) {
        const port = freePort();
        const server = await target(mode, port);
        try {
          await wrk(`http://127.0.0.1:${port}${path}`, 2); // warm-up
          const run = await wrk(`http://127.0.0.1:${port}${path}`, options.seconds);
          runs[mode.replace("-", "_")]!.push(run);
          say(`http ${key} ${mode}: ${run.rps.toFixed(0)} req/s, p99 ${run.p99.toFixed(2)} ms`);
        } finally {
          await server.stop();
        }
      }
    }
    const med = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const fig = (mode: string) => ({
      rps: round(med(runs[mode]!.map((x) => x.rps))),
      p99_ms: round(med(runs[mode]!.map((x) => x.p99)), 2),
    });
    results[key] = Object.fromEntries(Object.keys(runs).map((mode) => [mode, fig(mode)]));
  }
  return results;
}

/** Time from a price entering the hub to the last of `clients` stream clients receiving it. */
export async function sseFanOut(clients: number): Promise<Record<string, number | null>> {
  const port = freePort();
  const server = await target("sse", port, [String(clients)]);
  const lastSeen = new Map<number, number>(); // sent time -> latest receive time
  const conns: Deno.TcpConn[] = [];
  const request = new TextEncoder().encode(
    "GET /api/v1/stream?symbols=BTC HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
  );
  const readers: Promise<void>[] = [];
  for (let i = 0; i < clients; i++) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conns.push(conn);
    await conn.write(request);
    readers.push((async () => {
      const buffer = new Uint8Array(1 << 16);
      const decoder = new TextDecoder();
      let text = "";
      for (;;) {
        const n = await conn.read(buffer).catch(() => null);
        if (n === null) return;
        const at = performance.timeOrigin + performance.now();
        text += decoder.decode(buffer.subarray(0, n));
        let found;
        const pattern = /"price_usd":([\d.]+)/g;
        while ((found = pattern.exec(text)) !== null) {
          const sent = Number(found[1]);
          if ((lastSeen.get(sent) ?? 0) < at) lastSeen.set(sent, at);
        }
        text = text.slice(text.lastIndexOf("\n"));
      }
    })());
  }
  await server.status;
  for (const conn of conns) {
    try {
      conn.close();
    } catch {
      // closed
    }
  }
  await Promise.all(readers);
  await server.stop();
  const latencies = [...lastSeen].map(([sent, at]) => at - sent).sort((a, b) => a - b);
  say(`sse fan-out to ${clients}: ${latencies.length} events, p99 ${percentile(latencies, 99)} ms`);
  return {
    clients,
    events: latencies.length,
    p50_ms: round(percentile(latencies, 50), 2),
    p99_ms: round(percentile(latencies, 99), 2),
    max_ms: round(latencies.at(-1) ?? null, 2),
  };
}

/** The dashboard's first load: bytes transferred and time to the first painted chart. */
export async function dashboardLoad(repetitions: number): Promise<Record<string, number | null>> {
  Deno.env.set("__IS_WSL_TEST__", "1");
  const { chromium } = await import("playwright-core");
  const port = freePort();
  const server = await target("app", port);
  const bytes: number[] = [];
  const painted: number[] = [];
  try {
    for (let r = 0; r < repetitions; r++) {
      const profile = await Deno.makeTempDir({ prefix: "crypto-bench-chromium-" });
      const context = await chromium.launchPersistentContext(profile, {
        // The page's CSP forbids eval, which waitForFunction needs to read the paint mark.
        bypassCSP: true,
        executablePath: "/usr/bin/chromium",
        headless: true,
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
        ],
      });
      try {
        const page = await context.newPage();
        const sizes: Promise<number>[] = [];
        page.on("response", (response) => {
          if (!response.url().includes("/api/v1/stream")) {
            sizes.push(response.body().then((b) => b.length, () => 0));
          }
        });
        await page.goto(`http://127.0.0.1:${port}/`);
        await page.waitForFunction("performance.getEntriesByName('chart-painted').length > 0");
        painted.push(
          await page.evaluate(
            "performance.getEntriesByName('chart-painted')[0].startTime",
          ) as number,
        );
        bytes.push((await Promise.all(sizes)).reduce((a, b) => a + b, 0));
      } finally {
        await context.close();
        await Deno.remove(profile, { recursive: true }).catch(() => {});
      }
      await sleep(200);
    }
  } finally {
    await server.stop();
  }
  const med = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  say(`dashboard: ${med(bytes)} bytes, chart painted at ${med(painted).toFixed(0)} ms`);
  return { first_load_bytes: med(bytes), first_chart_ms: round(med(painted)) };
}
