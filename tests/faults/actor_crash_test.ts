import { actorCrash } from "../../faults/actor_crash.ts";
import { kafkaTest } from "../support/broker.ts";
import { runQuickScenario } from "../support/faults.ts";

kafkaTest(
  "actor crashes: restarts with growing backoff lose nothing; past the limit exit 1, one line",
  async () => {
    await runQuickScenario(actorCrash);
  },
);
