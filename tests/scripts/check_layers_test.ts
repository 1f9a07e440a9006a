import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { checkLayers, describeOffence } from "../../scripts/check_layers.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** A repository of the given files in a temporary folder; removed after `use`. */
async function tree(files: Record<string, string>, use: (root: string) => Promise<void>) {
  const root = await Deno.makeTempDir({ prefix: "check-layers-" });
  try {
    for (const [path, text] of Object.entries(files)) {
      await Deno.mkdir(`${root}/${path.slice(0, path.lastIndexOf("/"))}`, { recursive: true });
      await Deno.writeTextFile(`${root}/${path}`, text);
    }
    await use(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

const FILES = {
  "market/good.ts": [
    "/**",
    " * An example may show any import:",
    ' * import { InRecord } from "../kafka/transport.ts";',
    " */",
    'import { a } from "./other.ts";',
    'import type { Clock } from "../runtime/delay.ts";',
    'export { b } from "./messages/b.ts";',
    'const text = "import x from \\"../store/s.ts\\"";',
  ].join("\n"),
  "market/messages/b.ts": 'import type { Candle } from "../candle.ts";\nexport * from "../c.ts";\n',
  "market/bad.ts": [
    "import type {",
    "  StoreWrite,",
    "  SymbolState,",
    '} from "../store/candle_store.ts";',
    'import { getLogger } from "@logtape/logtape";',
    'import yaml from "npm:yaml@2";',
    'import { delay } from "../runtime/delay.ts";',
    'export { type InRecord } from "../kafka/transport.ts";',
    'import "../bin/start.ts";',
    'const app = await import("../http/app.ts");',
  ].join("\n"),
  "market/messages/deep.ts": 'import * as format from "../../report/format.ts";\n',
  "store/free.ts": 'import { getLogger } from "@logtape/logtape";\n',
};

Deno.test("checkLayers() reports every import out of market/, by file and line, and nothing else", async () => {
  await tree(FILES, async (root) => {
    const found = (await checkLayers(root)).map((o) => `${o.file}:${o.line} ${o.target}`);
    assert.deepEqual(found, [
      "market/bad.ts:1 store/candle_store.ts",
      "market/bad.ts:5 @logtape/logtape",
      "market/bad.ts:6 npm:yaml@2",
      "market/bad.ts:7 runtime/delay.ts",
      "market/bad.ts:8 kafka/transport.ts",
      "market/bad.ts:9 bin/start.ts",
      "market/bad.ts:10 http/app.ts",
      "market/messages/deep.ts:1 report/format.ts",
    ]);
  });
});

Deno.test("checkLayers() finds nothing to report in the repository's market/", async () => {
  const offences = await checkLayers(ROOT);
  assert.deepEqual(offences.map(describeOffence), []);
});

Deno.test("scripts/check_layers.ts fails with one line per offending import", async () => {
  await tree(FILES, async (root) => {
    const run = await new Deno.Command("deno", {
      args: [
        "run",
        "--allow-read",
        fileURLToPath(new URL("../../scripts/check_layers.ts", import.meta.url)),
        root,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const lines = new TextDecoder().decode(run.stderr).trim().split("\n");
    assert.equal(run.code, 1);
    assert.equal(lines.length, 8);
    assert.equal(
      lines[0],
      'market/bad.ts:1 imports "../store/candle_store.ts" (store/candle_store.ts): market/ imports only market/ and the Clock type of runtime/delay.ts',
    );
  });
  const clean = await new Deno.Command("deno", {
    args: ["run", "--allow-read", "scripts/check_layers.ts"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(clean.code, 0, new TextDecoder().decode(clean.stderr));
});
