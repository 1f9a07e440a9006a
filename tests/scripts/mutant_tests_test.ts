import assert from "node:assert/strict";

const SCRIPT = new URL("../../scripts/mutant_tests.sh", import.meta.url).pathname;

/**
 * Runs scripts/mutant_tests.sh in a sandbox holding two instrumented files, with a `deno` on the
 * PATH that prints its arguments instead of testing, and answers what it printed.
 */
async function run(env: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "mutant-tests-" });
  try {
    await Deno.mkdir(`${dir}/market/messages`, { recursive: true });
    await Deno.mkdir(`${dir}/bin`);
    await Deno.writeTextFile(
      `${dir}/market/a.ts`,
      `if (stryMutAct_9fa48("1")) {} else { stryCov_9fa48("1"); }\n` +
        `const x = stryMutAct_9fa48("2") ? 0 : (stryCov_9fa48("2"), stryMutAct_9fa48("3") ? 1 : 2);\n`,
    );
    await Deno.writeTextFile(
      `${dir}/market/messages/b.ts`,
      `const y = stryMutAct_9fa48("14") ? "" : (stryCov_9fa48("14"), "b");\n`,
    );
    await Deno.writeTextFile(
      `${dir}/tests.tsv`,
      "market/a.ts\tmarket/a.ts tests/market/a_test.ts\n" +
        "market/messages/b.ts\tmarket/a.ts market/messages/b.ts tests/market/b_test.ts\n",
    );
    await Deno.writeTextFile(`${dir}/bin/deno`, `#!/usr/bin/env bash\necho "$@"\n`);
    await Deno.chmod(`${dir}/bin/deno`, 0o755);
    const out = await new Deno.Command("bash", {
      args: [SCRIPT],
      cwd: dir,
      env: { PATH: `${dir}/bin:${Deno.env.get("PATH")}`, MUTATE_TESTS: `${dir}/tests.tsv`, ...env },
      clearEnv: true,
      stdin: "null",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    return new TextDecoder().decode(out.stdout).trim();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const FLAGS = "test -q --no-check --parallel --allow-env=__STRYKER_ACTIVE_MUTANT__ --doc";

Deno.test("mutant_tests.sh runs the tests that load the mutant's file and its doc examples, and everything unmutated", async () => {
  assert.equal(
    await run({ __STRYKER_ACTIVE_MUTANT__: "3" }),
    `${FLAGS} market/a.ts tests/market/a_test.ts`,
  );
  assert.equal(
    await run({ __STRYKER_ACTIVE_MUTANT__: "14" }),
    `${FLAGS} market/messages/b.ts tests/market/b_test.ts`,
  );
  // Stryker's first run, no mutant on: everything.
  assert.equal(await run({}), `${FLAGS} market/ tests/market/`);
  // A mutant in no file it knows ("1" must not match "14"), or no table: everything, never nothing.
  assert.equal(await run({ __STRYKER_ACTIVE_MUTANT__: "4" }), `${FLAGS} market/ tests/market/`);
  assert.equal(
    await run({ __STRYKER_ACTIVE_MUTANT__: "3", MUTATE_TESTS: "" }),
    `${FLAGS} market/ tests/market/`,
  );
});
