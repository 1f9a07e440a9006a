import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { type HttpServer, startHttpServer } from "../../http/server.ts";
import { LiveHub } from "../../http/live_hub.ts";
import type { CandleStore } from "../../store/candle_store.ts";
import { SqliteCandleStore } from "../../store/sqlite.ts";
import { browserTest, launchBrowser } from "./browser.ts";
import { busySnapshot, fill, latest, NOW } from "./support.ts";

/** The program's HTTP server on an address, over a store holding known data. */
function serve(
  store: CandleStore,
  hub: LiveHub,
  options: { hostname: string; port?: number; token?: string },
): Promise<HttpServer> {
  return startHttpServer({
    config: { hostname: options.hostname, port: options.port ?? 0, token: options.token ?? null },
    store,
    hub,
    pipeline: busySnapshot,
    readiness: {},
    pipelineEveryMs: 0,
    cacheMs: 0,
  });
}

/** Console errors, page errors and dialogs of a page. */
function problems(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(String(error)));
  page.on("dialog", (dialog) => {
    errors.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  return errors;
}

/** Waits until the dashboard has loaded its data and its live stream runs. */
async function dashboardReady(page: Page): Promise<void> {
  await page.waitForSelector('body[data-ready="true"]');
  await page.waitForSelector("#status.live");
  await page.waitForSelector('#chart[data-interval="1m"][data-symbol="BTC"]');
}

browserTest(
  "DNS rebinding: a page of another origin whose name resolves to 127.0.0.1 cannot read /api/v1/*, the dashboard, /metrics or /readyz (421)",
  async () => {
    const store = SqliteCandleStore.open(":memory:");
    await fill(store);
    const hub = new LiveHub();
    // The attacker's page, at http://evil.test:PORT/, while evil.test still points at the
    // attacker's own server.
    const attacker = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      () =>
        new Response("<!doctype html><title>evil</title><p>nothing to see</p>", {
          headers: { "content-type": "text/html; charset=utf-8" },
        }),
    );
    const port = attacker.addr.port;
    const browser = await launchBrowser({
      args: ["--host-resolver-rules=MAP evil.test 127.0.0.1"],
    });
    let server: HttpServer | null = null;
    try {
      const page = await browser.context.newPage();
      await page.goto(`http://evil.test:${port}/`);
      assert.equal(await page.title(), "evil");

      // The rebinding: the same origin (evil.test:PORT) now reaches the program.
      await attacker.shutdown();
      server = await serve(store, hub, { hostname: "127.0.0.1", port });

      const paths = [
        "/api/v1/symbols",
        "/api/v1/prices/latest",
        "/api/v1/candles/BTC",
        "/api/v1/alerts",
        "/api/v1/pipeline",
        "/",
        "/metrics",
        "/readyz",
      ];
      const read = await page.evaluate(async (paths) => {
        const out: { path: string; status: number; text: string }[] = [];
        for (const path of paths) {
          const response = await fetch(path, { cache: "no-store" });
          out.push({ path, status: response.status, text: await response.text() });
        }
        return out;
      }, paths);
      for (const { path, status, text } of read) {
        assert.equal(status, 421, `${path}: ${status} ${text.slice(0, 200)}`);
        assert.doesNotMatch(text, /BTC|ETH|45234|crypto_|<html/i, path);
      }
      // The requests reached the program and were refused there (Chromium tries a 421 once more).
      const metrics = await server.metrics.render();
      const refused =
        /crypto_http_requests_total\{route="\/api\/v1\/symbols",method="GET",status="4xx"\} (\d+)\n/
          .exec(metrics);
      assert.ok(Number(refused?.[1]) >= 1, "the program refused the request");
    } finally {
      await browser.close();
      await attacker.shutdown().catch(() => {});
      await server?.shutdown();
      await store.close();
    }
  },
);

browserTest(
  "dashboard: loads and streams live on localhost, 127.0.0.1 and [::1]",
  async () => {
    const store = SqliteCandleStore.open(":memory:");
    await fill(store);
    const hub = new LiveHub();
    const v4 = await serve(store, hub, { hostname: "127.0.0.1" });
    const v6 = await serve(store, hub, { hostname: "::1" });
    const browser = await launchBrowser();
    try {
      const urls = [
        `http://localhost:${v4.addr.port}/`,
        `http://127.0.0.1:${v4.addr.port}/`,
        `http://[::1]:${v6.addr.port}/`,
      ];
      for (const [i, url] of urls.entries()) {
        const page = await browser.context.newPage();
        const errors = problems(page);
        const failed: string[] = [];
        page.on("response", (response) => {
          if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`);
        });
        await page.goto(url);
        await dashboardReady(page);
        assert.equal(await page.getAttribute("#chart", "data-bars"), "120", url);
        hub.publish({
          type: "price",
          price: { ...latest("BTC", 50_000 + i), eventTime: NOW + 1000 * (i + 1) },
        });
        await page.locator('[data-symbol="BTC"] .price', { hasText: `$50,00${i}.00` })
          .waitFor({ timeout: 5000 });
        assert.deepEqual(failed, [], url);
        assert.deepEqual(errors, [], url);
        await page.close();
      }
    } finally {
      await browser.close();
      await v4.shutdown();
      await v6.shutdown();
      await store.close();
    }
  },
);

browserTest(
  "dashboard: #token=… is sent on every API request and is gone from the address bar after load, reloads included",
  async () => {
    const token = "dash-token-5772156649";
    const store = SqliteCandleStore.open(":memory:");
    await fill(store);
    const hub = new LiveHub();
    const server = await serve(store, hub, { hostname: "127.0.0.1", token });
    const browser = await launchBrowser();
    try {
      const page = await browser.context.newPage();
      const errors = problems(page);
      const api: { url: string; authorization: string | undefined }[] = [];
      page.on("request", (request) => {
        if (new URL(request.url()).pathname.startsWith("/api/")) {
          api.push({ url: request.url(), authorization: request.headers()["authorization"] });
        }
      });
      const base = `http://127.0.0.1:${server.addr.port}/`;
      await page.goto(`${base}#token=${token}&panel=alerts`);
      await dashboardReady(page);
      const location = await page.evaluate(() => ({
        href: globalThis.location.href,
        hash: globalThis.location.hash,
      }));
      assert.equal(location.href, `${base}#panel=alerts`);
      assert.equal(location.hash, "#panel=alerts");
      assert.doesNotMatch(page.url(), /token/);
      assert.ok(api.length >= 5, `${api.length} API requests`);
      for (const request of api) {
        assert.equal(request.authorization, `Bearer ${token}`, request.url);
        assert.doesNotMatch(request.url, /token/);
      }

      // A reload (the address has no token any more) still works: the tab kept it.
      api.length = 0;
      await page.reload();
      await dashboardReady(page);
      assert.ok(api.length >= 5);
      assert.ok(api.every((request) => request.authorization === `Bearer ${token}`));
      assert.equal(await page.evaluate(() => globalThis.location.hash), "#panel=alerts");
      assert.deepEqual(errors, []);

      // A token alone leaves no empty hash behind.
      const other = await browser.context.newPage();
      await other.goto(`${base}#token=${token}`);
      await dashboardReady(other);
      assert.equal(await other.evaluate(() => globalThis.location.href), base);
    } finally {
      await browser.close();
      await server.shutdown();
      await store.close();
    }
  },
);
