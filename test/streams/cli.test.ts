/**
 * `kstream streams run|describe|reset` with the word-count program (examples/streams/wordcount.ts,
 * unchanged: it imports "kstream/streams") against a real broker. The app is SIGKILLed while input is
 * in flight and restarted: at-least-once guarantees every count ≥ the exact count, and exact counts
 * for words whose records were all committed before the kill or only produced after the restart.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Admin } from "../../src/client/admin.ts";
import { Consumed, Grouped, Materialized, Produced, Serdes, StreamsBuilder } from "../../src/streams/index.ts";
import { hasKcat, nodeBin, repoRoot, run, runKcat, tempDir } from "../helpers/index.ts";
import { killTestEnv } from "./kill-helpers.ts";
import { clusterFor, createTopic, expectedCounts, latestCounts, produceLines, waitFor } from "./runtime-helpers.ts";

const APP = join(repoRoot, "examples", "streams", "wordcount.ts");
const cli = (args: string[]) => [join(repoRoot, "bin", "dev"), ...args];

const broker = killTestEnv();

const startApp = (stateDir: string) =>
  broker.startApp(APP, { "processing.guarantee": "at_least_once", "state.dir": stateDir, "session.timeout.ms": "10000", "heartbeat.interval.ms": "1000" });

async function committedAll(topic: string): Promise<boolean> {
  const cluster = clusterFor(broker.bootstrap);
  try {
    const g = await new Admin(cluster).describeGroup("wordcount");
    const ps = g.partitions.filter((p) => p.topic === topic);
    return ps.length > 0 && ps.every((p) => (p.committed ?? 0) === p.logEnd); // a partition never written has nothing to commit
  } finally {
    await cluster.close();
  }
}

describe("kstream streams CLI", () => {
  it("describe prints the app's topology in Kafka's format without connecting", async () => {
    const r = await run(nodeBin, cli(["streams", "describe", APP, "-b", "127.0.0.1:1"]), { timeoutMs: 30_000 });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const b = new StreamsBuilder();
    b.stream("wc-input", Consumed.with(Serdes.String(), Serdes.String()))
      .flatMapValues((line: string) => line.toLowerCase().split(/\W+/).filter((w) => w.length > 0))
      .groupBy((_k: string | null, w: string) => w, Grouped.with(Serdes.String(), Serdes.String()))
      .count(Materialized.as("word-counts"))
      .toStream()
      .to("wc-output", Produced.with(Serdes.String(), Serdes.Long()));
    expect(r.stdout).toBe(b.build().describe().toString());
  });

  it("word count survives SIGKILL and restart with at-least-once counts, then stops cleanly on SIGTERM", async () => {
    const stateDir = await tempDir("kstream-streams-cli-");
    await createTopic(broker.bootstrap, "wc-input", 2);
    const linesA = Array.from({ length: 30 }, (_, i) => `alpha${i % 5} alpha common`);
    await produceLines(broker.bootstrap, "wc-input", linesA);
    let app = startApp(stateDir);
    await waitFor("exact counts for the first lines", async () => {
      const got = await latestCounts(broker.bootstrap, "wc-output");
      return [...expectedCounts(linesA)].every(([k, v]) => got.get(k) === v);
    }, 90_000);
    await waitFor("input offsets committed", () => committedAll("wc-input"));

    // Records in flight when the app dies: some processed, maybe not committed.
    const linesC = Array.from({ length: 400 }, (_, i) => `charlie${i % 8} common`);
    await produceLines(broker.bootstrap, "wc-input", linesC);
    await waitFor("processing of the burst to start", async () => [...(await latestCounts(broker.bootstrap, "wc-output")).keys()].some((k) => k.startsWith("charlie")));
    app.child.kill("SIGKILL");
    expect(await app.exited).toBe("SIGKILL");

    app = startApp(stateDir);
    const linesB = Array.from({ length: 20 }, (_, i) => `bravo${i % 4}`);
    await produceLines(broker.bootstrap, "wc-input", linesB);
    const exact = expectedCounts([...linesA, ...linesC, ...linesB]);
    let final = new Map<string, number>();
    await waitFor("every count to reach at least its exact value", async () => {
      final = await latestCounts(broker.bootstrap, "wc-output");
      return [...exact].every(([k, v]) => (final.get(k) ?? 0) >= v);
    }, 90_000);
    for (const [k, v] of exact) {
      if (k.startsWith("alpha") || k.startsWith("bravo")) expect(final.get(k), k).toBe(v); // not in flight at the kill
      else expect(final.get(k)!, k).toBeGreaterThanOrEqual(v);
    }
    expect([...final.keys()].sort()).toEqual([...exact.keys()].sort());

    app.child.kill("SIGTERM");
    expect(await app.exited).toBe(0);
    expect(app.stderr()).toBe("");
    expect(existsSync(join(stateDir, "wordcount", "1_0", ".checkpoint"))).toBe(true);

    if (hasKcat) {
      // kcat reads the counts as Kafka longs (-s value=q), as the issue asks.
      const k = await runKcat(["-b", broker.bootstrap, "-C", "-t", "wc-output", "-e", "-q", "-s", "value=q", "-f", "%k %s\\n"]);
      const last = new Map(k.stdout.trim().split("\n").map((l) => l.split(" ") as [string, string]));
      expect(Number(last.get("bravo0"))).toBe(exact.get("bravo0"));
    }
  }, 240_000);

  it("reset deletes the internal topics and rewinds the input offsets (dry run changes nothing)", async () => {
    const dry = await run(nodeBin, cli(["streams", "reset", "--application-id", "wordcount", "--input-topics", "wc-input", "--dry-run", "-b", broker.bootstrap]), { timeoutMs: 30_000 });
    expect(dry.stderr).toBe("");
    expect(dry.stdout).toContain("Reset-offsets for input topics [wc-input] (dry run)");
    expect(dry.stdout).toContain("Deleting inferred internal topics [wordcount-word-counts-changelog, wordcount-word-counts-repartition] (dry run)");
    const cluster = clusterFor(broker.bootstrap);
    const admin = new Admin(cluster);
    expect((await admin.listTopics()).map((t) => t.name)).toContain("wordcount-word-counts-changelog");
    const r = await run(nodeBin, cli(["streams", "reset", "--application-id", "wordcount", "--input-topics", "wc-input", "-b", broker.bootstrap]), { timeoutMs: 30_000 });
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/Topic: wc-input Partition: 0 Offset: 0/);
    expect(r.stdout.trim().endsWith("Done.")).toBe(true);
    const names = (await admin.listTopics()).map((t) => t.name);
    expect(names.filter((n) => n.startsWith("wordcount-"))).toEqual([]);
    const g = await admin.describeGroup("wordcount");
    expect(g.partitions.filter((p) => p.topic === "wc-input").every((p) => p.committed === 0)).toBe(true);
    await cluster.close();
  }, 60_000);
});
