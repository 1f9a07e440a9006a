import assert from "node:assert/strict";
import { loadStartConfig } from "../../config/start.ts";
import { CoinGeckoStub } from "../support/coingecko_stub.ts";

const UNIT = "docs/crypto-market-analyzer.service";
/** The page on running the program, service managers included. */
const OPERATIONS = "docs/operations.md";

/** deno.json's `start` task: `deno run <flags> bin/start.ts`. */
async function startTask(): Promise<string> {
  const config = JSON.parse(await Deno.readTextFile("deno.json"));
  return config.tasks.start.command;
}

/**
 * The unit's `ExecStart=` command line and its `Environment=` variables, with the specifier `%H`
 * (the host name) replaced as systemd does.
 */
async function unit(): Promise<{ execStart: string[]; env: Record<string, string> }> {
  const text = await Deno.readTextFile(UNIT);
  const execStart = /^ExecStart=(.+)$/m.exec(text)?.[1];
  assert.ok(execStart, `no ExecStart= in ${UNIT}`);
  const env: Record<string, string> = {};
  for (const [, name, value] of text.matchAll(/^Environment=([A-Z_]+)=(\S*)$/gm)) {
    env[name!] = value!.replaceAll("%H", Deno.hostname());
  }
  return { execStart: execStart.trim().split(/\s+/), env };
}

Deno.test("docs/operations.md and the systemd example run start with deno run and the task's flags", async () => {
  const task = await startTask();
  const { execStart } = await unit();
  assert.match(execStart[0]!, /^\/.*\/deno$/, "ExecStart= needs the absolute path of deno");
  assert.equal(["deno", ...execStart.slice(1)].join(" "), task);
  const operations = await Deno.readTextFile(OPERATIONS);
  assert.ok(
    operations.includes(`\n${task}\n`),
    `${OPERATIONS} does not give the task's command line`,
  );
  assert.ok(operations.includes(UNIT), `${OPERATIONS} does not point at ${UNIT}`);
});

Deno.test("the systemd example makes the service a static member of its consumer groups under the host name, an id the program accepts", async () => {
  const text = await Deno.readTextFile(UNIT);
  assert.match(text, /^Environment=KAFKA_INSTANCE_ID=%H$/m);
  const { env } = await unit();
  const config = loadStartConfig(["--transport", "kafka"], (name) => env[name]);
  assert.equal(config?.candleMembership.instanceId, `${Deno.hostname()}-candles`);
  assert.equal(config?.consumer.membership.instanceId, `${Deno.hostname()}-printer`);
});

Deno.test("the systemd example's command line stops cleanly on SIGTERM, with exit 0 and the summary", async () => {
  const { execStart, env } = await unit();
  const stub = await CoinGeckoStub.start();
  try {
    // The unit's command line as it is, from the checkout (its WorkingDirectory); deno from PATH
    // and this machine's Deno cache stand in for the unit's.
    delete env.DENO_DIR;
    const child = new Deno.Command("deno", {
      args: execStart.slice(1),
      env: {
        PATH: Deno.env.get("PATH") ?? "",
        HOME: Deno.env.get("HOME") ?? "",
        DENO_DIR: Deno.env.get("DENO_DIR") ?? "",
        ...env,
        COINGECKO_BASE_URL: stub.url,
        API_RATE_LIMIT_DELAY: "0",
        HTTP_ADDR: "127.0.0.1:0",
      },
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    let stdout = "";
    const reading = (async () => {
      for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
        stdout += chunk;
      }
    })();
    const stderr = new Response(child.stderr).text();
    const deadline = Date.now() + 60_000;
    while (!stdout.includes("Message #2") && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill("SIGTERM");
    const status = await child.status;
    clearTimeout(timer);
    await reading;
    const errors = await stderr;

    assert.equal(status.code, 0, stdout + errors);
    assert.equal(status.signal, null);
    assert.match(errors, /Received SIGTERM: stopping/);
    assert.match(stdout, /^Producer summary$/m);
    assert.match(stdout, /^Messages printed: ([2-9]|\d\d+)$/m);
    assert.doesNotMatch(errors, /^error:/m);
  } finally {
    await stub.close();
  }
});
