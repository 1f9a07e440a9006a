import assert from "node:assert/strict";
import { NO_PIPELINE, PipelineRates } from "../../http/pipeline_snapshot.ts";
import { describeReason } from "../../http/routes/probes.ts";
import { oddUrls, SECRET } from "../support/odd_urls.ts";

Deno.test("a /readyz reason never holds a password, whatever shape the URL in the error is in", () => {
  for (const scheme of ["postgres", "redis", "wss"]) {
    for (const [url, what] of oddUrls(scheme)) {
      const reason = describeReason(new Error(`cannot reach ${url}: connection refused`));
      assert.ok(!reason.includes(SECRET), `${what}: ${reason}`);
      assert.match(reason, /^cannot reach/, what);
    }
  }
});

Deno.test("/api/v1/pipeline's last fetch detail never holds a password", () => {
  for (const [url, what] of oddUrls("wss")) {
    const view = new PipelineRates().view({
      ...NO_PIPELINE,
      fetch: {
        ok: 0,
        failed: 1,
        last: { at: 0, outcome: "error", detail: `cannot connect to ${url}` },
      },
    }, 0);
    assert.ok(!view.fetch!.last_detail!.includes(SECRET), `${what}: ${view.fetch!.last_detail}`);
  }
});
