/**
 * Headless Chromium for the dashboard tests and benchmarks: Debian's `/usr/bin/chromium`
 * driven by `playwright-core` (no browser download), quiet on the network, with a fresh
 * profile each time.
 *
 * @module
 */
import type { BrowserContext } from "playwright-core";
import { inCi } from "../support/ci.ts";

/** Where Debian installs Chromium (`apt-get install chromium`). */
export const CHROMIUM = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";

/** Whether Chromium is installed. */
export const chromiumInstalled = (() => {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
})();

/**
 * Registers a test that needs Chromium: skipped on a developer's machine without it, failing
 * under `CI=true`.
 *
 * @param name The test name.
 * @param fn The test.
 */
export function browserTest(name: string, fn: () => Promise<void>): void {
  Deno.test({
    name,
    ignore: !chromiumInstalled && !inCi,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: chromiumInstalled ? fn : () => {
      throw new Error(`No Chromium at ${CHROMIUM} (CI=true): apt-get install -y chromium`);
    },
  });
}

/**
 * A browser with a fresh profile, and how to close it (removing the profile).
 *
 * @param options More Chromium switches, e.g. `--host-resolver-rules=MAP evil.test 127.0.0.1`.
 */
export async function launchBrowser(options: { args?: string[] } = {}): Promise<
  { context: BrowserContext; close: () => Promise<void> }
> {
  // playwright-core asks at import whether it runs under WSL by reading /proc/sys, which Deno
  // grants only with --allow-all; is-wsl's own switch defers that question, which a launch of
  // a given executable never asks.
  Deno.env.set("__IS_WSL_TEST__", "1");
  const { chromium } = await import("playwright-core");
  const profile = await Deno.makeTempDir({ prefix: "crypto-chromium-" });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 860 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      ...(options.args ?? []),
    ],
  });
  return {
    context,
    close: async () => {
      await context.close().catch(() => {});
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}
