/**
 * Standby replicas (num.standby.replicas=1): two instances of the word count (exactly_once_v2,
 * run with `kstream streams run`) share a one-partition input; the stateful task 1_0 runs on one and
 * has a standby on the other, which follows the changelog. The active instance is SIGKILLed; the
 * standby's instance takes the task over with its stores as they are, restoring only the changelog
 * tail it had not applied (here nothing, since it had caught up), and the counts stay exact.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LATEST, listOffsets, tpKey } from "../../src/client/list-offsets.ts";
import { repoRoot, tempDir } from "../helpers/index.ts";
import { killTestEnv, type AppChild } from "./kill-helpers.ts";
import { clusterFor, createTopic, expectedCounts, latestCounts, produceLines, waitFor } from "./runtime-helpers.ts";

const APP = join(repoRoot, "examples", "streams", "wordcount.ts");
const CHANGELOG = "wordcount-word-counts-changelog";

const broker = killTestEnv();

type App = AppChild & { stateDir: string };

/** An instance with a standby replica, tracing its assignments (KSTREAM_TRACE=streams) to stderr. */
function startApp(stateDir: string): App {
  const configs = { "state.dir": stateDir, "num.standby.replicas": "1", "session.timeout.ms": "6000", "heartbeat.interval.ms": "1000" };
  return { ...broker.startApp(APP, configs, { KSTREAM_TRACE: "streams" }), stateDir };
}

/** The tasks of the last assignment an instance traced ("running tasks …; standby tasks …"). */
function lastTasks(app: App): { active: string[]; standby: string[] } | undefined {
  const m = [...app.stderr().matchAll(/running tasks ([^;\n]*); standby tasks ([^\n]*)/g)].at(-1);
  if (!m) return undefined;
  const list = (s: string) => s.split(",").map((x) => x.trim()).filter(Boolean);
  return { active: list(m[1]!), standby: list(m[2]!) };
}

function checkpointOffset(app: App): number {
  const f = join(app.stateDir, "wordcount", "1_0", ".checkpoint");
  if (!existsSync(f)) return -1;
  const line = readFileSync(f, "utf8").split("\n").find((l) => l.startsWith(CHANGELOG));
  return line ? Number(line.split(" ")[2]) : -1;
}

describe("streams standby replicas", () => {
  it("a killed instance's stateful task moves to its standby with (almost) nothing to restore; counts stay exact", async () => {
    await createTopic(broker.bootstrap, "wc-input", 1);
    await createTopic(broker.bootstrap, "wc-output", 1);
    const a = startApp(await tempDir("kstream-standby-a-"));
    const b = startApp(await tempDir("kstream-standby-b-"));
    await waitFor("the tasks split with a standby of 1_0", () => {
      const ta = lastTasks(a), tb = lastTasks(b);
      if (!ta || !tb) return false;
      const all = [...ta.active, ...tb.active].sort().join();
      return all === "0_0,1_0" && (ta.standby.includes("1_0") || tb.standby.includes("1_0"));
    }, 120_000);
    const [active, standby] = lastTasks(a)!.active.includes("1_0") ? [a, b] : [b, a];
    expect(lastTasks(standby)!.standby).toEqual(["1_0"]);
    expect(lastTasks(active)!.standby).toEqual([]); // a task's standby never sits beside its active copy

    // Many distinct words: a changelog a full restore would have to read.
    const lines = Array.from({ length: 300 }, (_, i) => `u${i}a u${i}b u${i}c common`);
    await produceLines(broker.bootstrap, "wc-input", lines);
    await waitFor("exact counts", async () => sameCounts(await latestCounts(broker.bootstrap, "wc-output"), expectedCounts(lines)), 120_000);
    // The changelog's last stable offset (the counts above were read uncommitted: wait for the commit).
    const cluster = clusterFor(broker.bootstrap);
    let end = 0;
    try {
      await waitFor("the changelog's transaction to commit", async () => {
        end = Number((await listOffsets(cluster, [{ topic: CHANGELOG, partition: 0, timestamp: LATEST }], 5, 1)).get(tpKey(CHANGELOG, 0)) ?? 0n);
        return end > 900;
      }, 60_000);
    } finally {
      await cluster.close();
    }
    expect(end).toBeGreaterThan(900);
    // The standby checkpoints what it applied at every commit: wait until it has the whole changelog.
    await waitFor("the standby to catch up with the changelog", () => checkpointOffset(standby) >= end - 1, 60_000);

    active.child.kill("SIGKILL");
    expect(await active.exited).toBe("SIGKILL");
    await waitFor("the survivor to run both tasks", () => lastTasks(standby)?.active.join() === "0_0,1_0", 120_000);
    expect(standby.stderr()).toMatch(/promoting standby task 1_0/);
    const restored = [...standby.stderr().matchAll(/task 1_0 restored (\d+) changelog records/g)].map((m) => Number(m[1]));
    // Without the standby this would be the whole changelog (> 900 records).
    expect(restored.at(-1)).toBeLessThan(50);

    const more = ["u1a common", "late words common"];
    await produceLines(broker.bootstrap, "wc-input", more);
    await waitFor("exact counts after the move", async () => sameCounts(await latestCounts(broker.bootstrap, "wc-output"), expectedCounts([...lines, ...more])), 120_000);
    standby.child.kill("SIGTERM");
    expect(await standby.exited).toBe(0);
  }, 400_000);
});

function sameCounts(got: Map<string, number>, want: Map<string, number>): boolean {
  if (got.size !== want.size) return false;
  for (const [k, v] of want) if (got.get(k) !== v) return false;
  return true;
}
