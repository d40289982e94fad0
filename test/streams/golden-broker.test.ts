/**
 * The golden cases of golden-cases.ts (the dsl-api.html join tables, window boundaries, grace, session
 * merging, suppress, sliding windows) on a real broker through KafkaStreams: the output topic must hold
 * exactly what the TopologyTestDriver produced — same records, same order.
 *
 * What legitimately differs between the two, and how this test removes it:
 *  - Caching: with a record cache, a real instance forwards a table/aggregate update only on commit or
 *    eviction (consecutive updates of one key collapse), while the driver's output per piped record is
 *    every update. statestore.cache.max.bytes=0 turns the cache off, so every update is forwarded.
 *  - Input interleaving: the driver processes records in the order they were piped; a real instance reads
 *    each input partition on its own, so two topics' records would interleave by arrival. Each input
 *    record is therefore produced only once the previous one was processed and committed (the group's
 *    committed offset of its topic covers it; output is flushed before offsets are committed).
 *  - Per-record output boundaries: a real broker has none, so the concatenation is compared. Every case
 *    uses one partition per topic, so the whole output is one ordered log (and per key in particular).
 * Timestamps are the cases' small ones (1..200 ms after the epoch); the topics keep them forever
 * (retention.ms=-1) so the broker's time-based retention never touches the records under test.
 */
import { afterAll, beforeAll, describe, it } from "vitest";
import { closeAll, startTestBroker, waitFor, type TestBroker } from "../helpers/index.ts";
import { driverReference, joinCases, windowCases, type GoldenCase } from "./golden-cases.ts";
import { startCaseApp } from "./runtime-helpers.ts";

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await closeAll();
});

/** Runs a case through KafkaStreams on the broker; returns everything "out" received, rendered as the case shows it. */
async function runOnBroker(c: GoldenCase, id: string): Promise<Array<string | null>> {
  const app = await startCaseApp(broker.bootstrap, c, id, "kstream-golden-");
  try {
    const produced = new Map<string, number>();
    for (const [i, s] of c.steps.entries()) {
      const topic = app.t(s.topic);
      await app.send(s);
      const n = (produced.get(topic) ?? 0) + 1;
      produced.set(topic, n);
      await waitFor(`${id}: step ${i} processed and committed`, () => app.committedCovers(topic, n));
    }
    // The last input record is committed, so everything it caused is in the output log already.
    return await app.output();
  } finally {
    await app.close();
  }
}

// Concurrent: each case has its own application id and topics, and mostly waits on commits.
describe.concurrent("golden cases: a real broker gives the TopologyTestDriver's output", () => {
  const cases = [...joinCases, ...windowCases];
  cases.forEach((c, i) => {
    it(c.name, async ({ expect }) => {
      const want = driverReference(c, expect);
      expect(await runOnBroker(c, `golden-${i}`)).toEqual(want);
    }, 60_000);
  });
});
