/**
 * exactly_once_v2 with a windowed aggregate: test/streams/fixtures/windowed-count.ts (words per 1 s
 * tumbling window, grace 1 h, through a repartition topic) run by `kstream streams run`, SIGKILLed and
 * restarted while input with known event times keeps flowing. Read with read_committed, wwc-output must
 * hold per window ("word@start") a strictly increasing run of counts ending at the exact count of that
 * word in that window: a replayed record or a leaked aborted write would overshoot or repeat a count.
 * 3 SIGKILLs by default; KSTREAM_RELIABILITY_LONG=1 (or KSTREAM_STREAMS_LONG=1) does 10.
 */
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeAll, repoRoot, startTestBroker, tempDir, type TestBroker } from "../helpers/index.ts";
import { countRuns, produceAt, startStreamsApp } from "./kill-helpers.ts";
import { createTopic, waitFor } from "./runtime-helpers.ts";

const APP = join(repoRoot, "test", "streams", "fixtures", "windowed-count.ts");
const LONG = process.env.KSTREAM_RELIABILITY_LONG === "1" || process.env.KSTREAM_STREAMS_LONG === "1";
const KILLS = LONG ? 10 : 3;

let broker: TestBroker;
const children = new Set<ChildProcess>();
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  await closeAll();
});

describe("streams exactly_once_v2, windowed aggregate", () => {
  it(`every window's committed final count is exact across ${KILLS} SIGKILLs while input flows`, async () => {
    await createTopic(broker.bootstrap, "wwc-input", 2);
    await createTopic(broker.bootstrap, "wwc-output", 2);
    const stateDir = await tempDir("kstream-streams-eos-windowed-");
    const configs = { "state.dir": stateDir, "session.timeout.ms": "6000", "heartbeat.interval.ms": "1000" };
    const start = () => startStreamsApp(children, broker.bootstrap, APP, configs);
    // Event time: 250 ms per batch from a whole second, so every window gets four batches.
    const t0 = Math.floor(Date.now() / 1000) * 1000;
    const exact = new Map<string, number>();
    let batch = 0;
    const produceBatch = async (): Promise<void> => {
      const ts = t0 + batch * 250;
      const lines = Array.from({ length: 20 }, (_, i) => ({ value: `w${(batch * 7 + i) % 11} w${i % 3} common`, ts }));
      batch++;
      await produceAt(broker.bootstrap, "wwc-input", lines);
      const window = Math.floor(ts / 1000) * 1000;
      for (const l of lines) for (const w of l.value.split(" ")) exact.set(`${w}@${window}`, (exact.get(`${w}@${window}`) ?? 0) + 1);
    };
    const committedCommon = async (): Promise<number> =>
      [...(await countRuns(broker.bootstrap, "wwc-output", "read_committed"))].filter(([k]) => k.startsWith("common@")).reduce((n, [, s]) => n + s.at(-1)!, 0);

    let app = start();
    let flowing = true;
    const feeder = (async () => {
      while (flowing) {
        await produceBatch();
        await new Promise((r) => setTimeout(r, 150));
      }
    })();
    try {
      for (let kill = 0; kill < KILLS; kill++) {
        // Kill only once this incarnation has committed something beyond what the last one did.
        const before = await committedCommon();
        await waitFor(`incarnation ${kill} to commit output`, async () => (await committedCommon()) > before, 120_000);
        app.child.kill("SIGKILL");
        expect(await app.exited).toBe("SIGKILL");
        app = start();
      }
    } finally {
      flowing = false;
      await feeder;
    }
    await produceBatch(); // input after the last restart, too
    let runs = new Map<string, number[]>();
    await waitFor(
      "every window's committed count to reach its exact count",
      async () => {
        runs = await countRuns(broker.bootstrap, "wwc-output", "read_committed");
        return [...exact].every(([k, v]) => (runs.get(k)?.at(-1) ?? 0) >= v);
      },
      180_000,
    );
    expect(exact.size).toBeGreaterThan(20);
    expect([...runs.keys()].sort()).toEqual([...exact.keys()].sort());
    for (const [win, n] of exact) {
      const seq = runs.get(win)!;
      expect(seq.at(-1), win).toBe(n);
      for (let i = 1; i < seq.length; i++) expect(seq[i]!, `${win}: counts ${seq.slice(Math.max(0, i - 3), i + 2).join(",")}`).toBeGreaterThan(seq[i - 1]!);
    }
    app.child.kill("SIGTERM");
    expect(await app.exited).toBe(0);
    expect(app.stderr()).toBe("");
  }, 300_000);
});
