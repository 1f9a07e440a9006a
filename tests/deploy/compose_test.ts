import assert from "node:assert/strict";
import { parse } from "yaml";
import { loadCandlesConfig } from "../../config/candles.ts";
import { inCi } from "../support/ci.ts";

/** The services of compose.yaml as the tests read them. */
interface Service {
  image?: string;
  profiles?: string[];
  command?: string;
  ports?: string[];
  environment?: Record<string, string | number>;
  healthcheck?: { test?: unknown };
}

const COMPOSE = await Deno.readTextFile("compose.yaml");
const compose = parse(COMPOSE) as { name?: string; services: Record<string, Service> };

/** The validator's version, or null when `docker-compose` is not installed. */
async function validatorVersion(): Promise<string | null> {
  try {
    const output = await new Deno.Command("docker-compose", {
      args: ["version", "--short"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    return output.success ? new TextDecoder().decode(output.stdout).trim() : null;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/** `docker-compose config -q` on a copy of compose.yaml's text, in a folder of its own. */
async function validate(text: string): Promise<{ ok: boolean; stderr: string }> {
  const dir = await Deno.makeTempDir({ prefix: "compose-check-" });
  try {
    await Deno.writeTextFile(`${dir}/compose.yaml`, text);
    const output = await new Deno.Command("docker-compose", {
      args: ["-f", `${dir}/compose.yaml`, "config", "-q"],
      cwd: dir,
      clearEnv: true,
      env: { PATH: Deno.env.get("PATH") ?? "" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { ok: output.success, stderr: new TextDecoder().decode(output.stderr) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * compose.yaml without its top-level `name:`: Debian's docker-compose 1.29 reads Compose-spec
 * files but not that (optional, newer) key; everything else it checks against the spec.
 */
function withoutName(text: string): string {
  return text.replace(/^name:.*\n/m, "");
}

const version = await validatorVersion();
const missing = version === null;

Deno.test({
  name: `compose.yaml passes docker-compose config -q, and a misspelled key fails it${
    missing && !inCi
      ? " (skipped: docker-compose is not installed; apt-get install docker-compose)"
      : ""
  }`,
  ignore: missing && !inCi,
  fn: async () => {
    assert.ok(
      !missing,
      "docker-compose is not installed (CI=true): .ci/run installs it with apt-get install -y docker-compose",
    );
    assert.match(COMPOSE, /^name: [a-z0-9][a-z0-9_-]*$/m, "a top-level project name");
    const text = withoutName(COMPOSE);
    const good = await validate(text);
    assert.ok(good.ok, `docker-compose ${version} refused compose.yaml:\n${good.stderr}`);
    // The validator does catch a misspelled key (so a pass above means something).
    const misspelled = text.replace(/^( +)healthcheck:/m, "$1healthchek:");
    assert.notEqual(misspelled, text);
    const bad = await validate(misspelled);
    assert.ok(!bad.ok, "a misspelled key passed docker-compose config");
    assert.match(bad.stderr, /healthchek/);
  },
});

Deno.test("compose.yaml's Kafka image is the version kafka:up assembles", async () => {
  const pom = await Deno.readTextFile("scripts/kafka/pom.xml");
  const kafkaVersion = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom)?.[1];
  assert.ok(kafkaVersion, "kafka.version missing from scripts/kafka/pom.xml");
  assert.equal(compose.services.kafka?.image, `apache/kafka:${kafkaVersion}`);
});

Deno.test("compose.yaml runs Kafka, PostgreSQL and Redis with health checks, published on 127.0.0.1 only", () => {
  for (const name of ["kafka", "postgres", "redis"]) {
    const service = compose.services[name];
    assert.ok(service, `no ${name} service`);
    assert.ok(service.healthcheck?.test, `${name} has no health check`);
  }
  assert.match(compose.services.postgres!.image ?? "", /^postgres:\d+/);
  assert.match(compose.services.redis!.image ?? "", /^redis:\d+/);
  for (const [name, service] of Object.entries(compose.services)) {
    for (const port of service.ports ?? []) {
      assert.match(String(port), /^127\.0\.0\.1:\d+:\d+$/, `${name} publishes ${port}`);
    }
  }
});

Deno.test("compose.yaml's PostgreSQL and Redis are where CANDLE_STORE and REDIS_URL in .env.example point", async () => {
  const example = await Deno.readTextFile(".env.example");
  const setting = (name: string) => {
    const value = new RegExp(`^#? ?${name}=(\\S+)`, "m").exec(example)?.[1];
    assert.ok(value, `${name} missing from .env.example`);
    assert.ok(COMPOSE.includes(`${name}=${value}`), `compose.yaml does not name ${name}=${value}`);
    return new URL(value);
  };
  const store = setting("CANDLE_STORE");
  const postgres = compose.services.postgres!;
  assert.equal(store.protocol, "postgres:");
  assert.equal(store.hostname, "127.0.0.1");
  assert.ok(postgres.ports?.includes(`127.0.0.1:${store.port}:5432`), String(postgres.ports));
  assert.equal(postgres.environment?.POSTGRES_USER, decodeURIComponent(store.username));
  assert.equal(postgres.environment?.POSTGRES_PASSWORD, decodeURIComponent(store.password));
  assert.equal(postgres.environment?.POSTGRES_DB, store.pathname.slice(1));

  const redisUrl = setting("REDIS_URL");
  assert.equal(redisUrl.protocol, "redis:");
  assert.equal(redisUrl.hostname, "127.0.0.1");
  assert.ok(
    compose.services.redis!.ports?.includes(`127.0.0.1:${redisUrl.port}:6379`),
    String(compose.services.redis!.ports),
  );
});

Deno.test("compose.yaml's candles service, only with --profile app, runs the candles task's command line as a static member of its group, reaching the other services by name", async () => {
  const candles = compose.services.candles!;
  assert.ok(candles, "no candles service");
  assert.deepEqual(candles.profiles, ["app"]);
  const task = JSON.parse(await Deno.readTextFile("deno.json")).tasks.candles.command as string;
  assert.equal(`deno ${candles.command}`, task);
  const env = Object.fromEntries(
    Object.entries(candles.environment ?? {}).map(([name, value]) => [name, String(value)]),
  );
  const config = loadCandlesConfig([], (name) => env[name]);
  assert.ok(config);
  assert.equal(config.membership.instanceId, "candles-1");
  assert.deepEqual(config.kafka.brokers, ["kafka:19092"]);
  assert.equal(new URL(config.candles.store).hostname, "postgres");
  assert.equal(new URL(config.candles.redis!).hostname, "redis");
});
