/**
 * at_least_once under SIGKILL: the word count (examples/streams/wordcount.ts, with
 * --config processing.guarantee=at_least_once) killed and restarted while input flows. Every final
 * count must be at least the true count (nothing lost), and the excess must stay within what the
 * killed incarnations had processed since their last commit. That bound is measured, not guessed:
 * right after each SIGKILL (nothing can commit or purge then) the group's committed offsets of the
 * input and the repartition topic are read, and the words in the records past them — input lines the
 * next incarnation will process again, plus repartition records it will count again — are what one
 * kill can at most duplicate. (Sound but loose: it includes input the dead incarnation had not yet
 * fetched, which cannot be duplicated; from outside the process its position is unknowable.) Whether a kill actually lands between a process and its commit is
 * timing, so the test does not require duplicates to appear (that would be flaky); it reports them.
 * 3 SIGKILLs by default; KSTREAM_RELIABILITY_LONG=1 (or KSTREAM_STREAMS_LONG=1) does 10.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Admin } from "../../src/client/admin.ts";
import { fetchCommittedOffsets } from "../../src/client/group-offsets.ts";
import { repoRoot, tempDir } from "../helpers/index.ts";
import { countRuns, KILLS, killTestEnv, killWhileFeeding, wordCountInput } from "./kill-helpers.ts";
import { clusterFor, createTopic, expectedCounts, readTopic, waitFor } from "./runtime-helpers.ts";

const APP = join(repoRoot, "examples", "streams", "wordcount.ts");
const GROUP = "wordcount"; // the example's application.id
const REPARTITION = `${GROUP}-word-counts-repartition`;

const broker = killTestEnv();

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

/** Committed offset per partition of `topic` for the app's group (0 where nothing was committed yet). */
async function committed(topic: string, partitions: number): Promise<number[]> {
  const cluster = clusterFor(broker.bootstrap);
  try {
    const m = await fetchCommittedOffsets(cluster, GROUP, Array.from({ length: partitions }, (_, partition) => ({ topic, partition })));
    return Array.from({ length: partitions }, (_, p) => Number([...m].find(([k]) => k.endsWith(`\0${p}`))?.[1] ?? 0n));
  } finally {
    await cluster.close();
  }
}

async function allCommitted(topic: string): Promise<boolean> {
  const cluster = clusterFor(broker.bootstrap);
  try {
    const ends = await new Admin(cluster).topicOffsets(topic);
    const done = await committed(topic, ends.length);
    return ends.every((e) => done[e.partition] === e.latest);
  } finally {
    await cluster.close();
  }
}

/** Per word, how many counts the next incarnation can repeat: words of uncommitted input and repartition records. */
async function replayable(): Promise<Map<string, number>> {
  const bound = new Map<string, number>();
  const add = (w: string) => bound.set(w, (bound.get(w) ?? 0) + 1);
  const inCommitted = await committed("wc-input", 2);
  for (const r of await readTopic(broker.bootstrap, "wc-input")) {
    if (r.offset < inCommitted[r.partition]!) continue;
    for (const w of r.value!.toString().toLowerCase().split(/\W+/).filter((x) => x.length > 0)) add(w);
  }
  const repCommitted = await committed(REPARTITION, 2);
  for (const r of await readTopic(broker.bootstrap, REPARTITION).catch(() => [])) if (r.offset >= repCommitted[r.partition]!) add(r.key!.toString());
  return bound;
}

describe("streams at_least_once under SIGKILL", () => {
  it(`word counts are never below the truth and exceed it by at most the uncommitted work of ${KILLS} kills`, async () => {
    await createTopic(broker.bootstrap, "wc-input", 2);
    await createTopic(broker.bootstrap, "wc-output", 2);
    const stateDir = await tempDir("kstream-streams-alos-");
    const configs = { "processing.guarantee": "at_least_once", "state.dir": stateDir, "session.timeout.ms": "6000", "heartbeat.interval.ms": "1000" };
    const { produced, produceBatch } = wordCountInput(broker);

    const bound = new Map<string, number>();
    const app = await killWhileFeeding({
      kills: KILLS,
      start: () => broker.startApp(APP, configs),
      feed: produceBatch,
      pauseMs: 100,
      // Kill only once this incarnation has committed input beyond what the last one did (else the
      // "since the last commit" window would be everything, and the bound meaningless).
      progress: async () => sum(await committed("wc-input", 2)),
      what: "commit input",
      // The dead incarnation can neither commit nor purge: what lies past its commits is fixed now.
      // (Input produced meanwhile is not in the bound; it was never processed, so it cannot be duplicated.)
      afterKill: async () => {
        for (const [w, n] of await replayable()) bound.set(w, (bound.get(w) ?? 0) + n);
      },
    });
    await produceBatch();
    const exact = expectedCounts(produced);
    // Counts can pass the truth early (duplicates), so wait for the work itself: the last incarnation has
    // committed every input and repartition record.
    await waitFor("the last incarnation to commit all input", async () => (await allCommitted("wc-input")) && (await allCommitted(REPARTITION)), 180_000);
    app.child.kill("SIGTERM");
    expect(await app.exited).toBe(0);
    // After a clean close everything processed is committed and the output final.
    const last = new Map([...(await countRuns(broker.bootstrap, "wc-output", "read_uncommitted"))].map(([k, s]) => [k, s.at(-1)!]));
    expect([...last.keys()].sort()).toEqual([...exact.keys()].sort());
    let duplicates = 0;
    for (const [word, n] of exact) {
      const got = last.get(word)!;
      expect(got, `${word}: never below the true count`).toBeGreaterThanOrEqual(n);
      expect(got - n, `${word}: duplicates within the uncommitted work at the kills (${bound.get(word) ?? 0})`).toBeLessThanOrEqual(bound.get(word) ?? 0);
      duplicates += got - n;
    }
    console.log(`at_least_once: ${duplicates} duplicate counts over ${KILLS} kills; bound ${sum([...bound.values()])}; true total ${sum([...exact.values()])}`);
  }, 300_000);
});
