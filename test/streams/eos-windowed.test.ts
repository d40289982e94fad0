/**
 * exactly_once_v2 with a windowed aggregate: test/streams/fixtures/windowed-count.ts (words per 1 s
 * tumbling window, grace 1 h, through a repartition topic) run by `kstream streams run`, SIGKILLed and
 * restarted while input with known event times keeps flowing. Read with read_committed, wwc-output must
 * hold per window ("word@start") a strictly increasing run of counts ending at the exact count of that
 * word in that window: a replayed record or a leaked aborted write would overshoot or repeat a count.
 * 3 SIGKILLs by default; KSTREAM_RELIABILITY_LONG=1 (or KSTREAM_STREAMS_LONG=1) does 10.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot, tempDir } from "../helpers/index.ts";
import { batchLine, countRuns, expectExactRuns, KILLS, killTestEnv, killWhileFeeding, produceAt, waitForExactCounts } from "./kill-helpers.ts";
import { createTopic } from "./runtime-helpers.ts";

const APP = join(repoRoot, "test", "streams", "fixtures", "windowed-count.ts");
const broker = killTestEnv();

describe("streams exactly_once_v2, windowed aggregate", () => {
  it(`every window's committed final count is exact across ${KILLS} SIGKILLs while input flows`, async () => {
    await createTopic(broker.bootstrap, "wwc-input", 2);
    await createTopic(broker.bootstrap, "wwc-output", 2);
    const stateDir = await tempDir("kstream-streams-eos-windowed-");
    const configs = { "state.dir": stateDir, "session.timeout.ms": "6000", "heartbeat.interval.ms": "1000" };
    // Event time: 250 ms per batch from a whole second, so every window gets four batches.
    const t0 = Math.floor(Date.now() / 1000) * 1000;
    const exact = new Map<string, number>();
    let batch = 0;
    const produceBatch = async (): Promise<void> => {
      const b = batch++;
      const ts = t0 + b * 250;
      const lines = Array.from({ length: 20 }, (_, i) => ({ value: batchLine(b, i), ts }));
      await produceAt(broker.bootstrap, "wwc-input", lines);
      const window = Math.floor(ts / 1000) * 1000;
      for (const l of lines) for (const w of l.value.split(" ")) exact.set(`${w}@${window}`, (exact.get(`${w}@${window}`) ?? 0) + 1);
    };
    const committedCommon = async (): Promise<number> =>
      [...(await countRuns(broker.bootstrap, "wwc-output", "read_committed"))].filter(([k]) => k.startsWith("common@")).reduce((n, [, s]) => n + s.at(-1)!, 0);

    // Each kill only once this incarnation has committed output beyond what the last one did.
    const app = await killWhileFeeding({ kills: KILLS, start: () => broker.startApp(APP, configs), feed: produceBatch, pauseMs: 150, progress: committedCommon, what: "commit output" });
    await produceBatch(); // input after the last restart, too
    const runs = await waitForExactCounts(broker.bootstrap, "wwc-output", exact, "every window's committed count to reach its exact count");
    expect(exact.size).toBeGreaterThan(20);
    expectExactRuns(runs, exact);
    app.child.kill("SIGTERM");
    expect(await app.exited).toBe(0);
    expect(app.stderr()).toBe("");
  }, 300_000);
});
