/**
 * Helpers for the SIGKILL tests: a broker per file with the app children it kills at the end, an app run
 * through `kstream streams run` as a child, the kill-and-restart loop while input flows, per-key count runs.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import { Consumer } from "../../src/client/consumer.ts";
import { Producer } from "../../src/client/producer.ts";
import { closeAll, nodeBin, repoRoot, startTestBroker, type TestBroker } from "../helpers/index.ts";
import { clusterFor, produceLines, waitFor } from "./runtime-helpers.ts";

/** SIGKILL rounds: 3 by default; KSTREAM_RELIABILITY_LONG=1 (or KSTREAM_STREAMS_LONG=1) does the 10. */
export const KILLS = process.env.KSTREAM_RELIABILITY_LONG === "1" || process.env.KSTREAM_STREAMS_LONG === "1" ? 10 : 3;

export interface AppChild {
  child: ChildProcess;
  exited: Promise<number | string>;
  stderr: () => string;
}

export interface KillTestEnv {
  readonly bootstrap: string;
  /** Runs `app` with `--config k=v` per entry (and `env` over this process's environment). */
  startApp(app: string, configs: Record<string, string>, env?: Record<string, string>): AppChild;
}

/** Starts the file's broker before its tests; after them, SIGKILLs every app child still running and stops the broker. */
export function killTestEnv(): KillTestEnv {
  let broker: TestBroker | undefined;
  const children = new Set<ChildProcess>();
  beforeAll(async () => {
    broker = await startTestBroker();
  });
  afterAll(async () => {
    for (const c of children) c.kill("SIGKILL");
    await closeAll();
  });
  return {
    get bootstrap() {
      return broker!.bootstrap;
    },
    startApp: (app, configs, env) => startStreamsApp(children, broker!.bootstrap, app, configs, env),
  };
}

function startStreamsApp(children: Set<ChildProcess>, bootstrap: string, app: string, configs: Record<string, string>, env?: Record<string, string>): AppChild {
  const args = [join(repoRoot, "bin", "dev"), "streams", "run", app, "-b", bootstrap];
  for (const [k, v] of Object.entries(configs)) args.push("--config", `${k}=${v}`);
  const child = spawn(nodeBin, args, { stdio: ["ignore", "pipe", "pipe"], ...(env ? { env: { ...process.env, ...env } } : {}) });
  children.add(child);
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  child.stdout!.resume();
  const exited = new Promise<number | string>((r) =>
    child.on("exit", (code, signal) => {
      children.delete(child);
      r(code ?? signal ?? -1);
    }),
  );
  return { child, exited, stderr: () => err };
}

/**
 * Runs `start()` and SIGKILLs it `kills` times while `feed()` keeps producing (a pause of `pauseMs`
 * between batches), restarting it after each kill. A kill waits until `progress()` — something only a
 * commit moves — has passed its value before the wait, so every incarnation has committed work of its
 * own. `afterKill` runs while no incarnation is alive. Returns the last incarnation, still running.
 */
export async function killWhileFeeding(o: {
  kills: number;
  start: () => AppChild;
  feed: () => Promise<void>;
  pauseMs: number;
  progress: () => Promise<number>;
  /** What progress is, for the wait's message: "commit output", "commit input". */
  what: string;
  afterKill?: () => Promise<void>;
}): Promise<AppChild> {
  let app = o.start();
  let flowing = true;
  const feeder = (async () => {
    while (flowing) {
      await o.feed();
      await new Promise((r) => setTimeout(r, o.pauseMs));
    }
  })();
  try {
    for (let kill = 0; kill < o.kills; kill++) {
      const before = await o.progress();
      await waitFor(`incarnation ${kill} to ${o.what}`, async () => (await o.progress()) > before, 120_000);
      app.child.kill("SIGKILL");
      expect(await app.exited).toBe("SIGKILL");
      await o.afterKill?.();
      app = o.start();
    }
  } finally {
    flowing = false;
    await feeder;
  }
  return app;
}

/** Line `i` of input batch `batch` in the kill tests: words cycling by batch and by line, and "common". */
export const batchLine = (batch: number, i: number): string => `w${(batch * 7 + i) % 11} w${i % 3} common`;

/** The word-count kill tests' input: each produceBatch() writes 25 lines to wc-input; `produced` holds them all. */
export function wordCountInput(env: KillTestEnv): { produced: string[]; produceBatch: () => Promise<void> } {
  const produced: string[] = [];
  let batch = 0;
  const produceBatch = async (): Promise<void> => {
    const b = batch++;
    const lines = Array.from({ length: 25 }, (_, i) => batchLine(b, i));
    await produceLines(env.bootstrap, "wc-input", lines);
    produced.push(...lines);
  };
  return { produced, produceBatch };
}

/** Every count per key of a String → Long topic, in log order, as a consumer with the given isolation level sees them. */
export async function countRuns(bootstrap: string, topic: string, isolationLevel: "read_committed" | "read_uncommitted"): Promise<Map<string, number[]>> {
  const cluster = clusterFor(bootstrap);
  const runs = new Map<string, number[]>();
  try {
    const c = new Consumer(cluster, { start: { type: "earliest" }, maxWaitMs: 100, isolationLevel });
    c.assign([{ topic }]);
    await c.run((b) => {
      for (const r of b.records) {
        const k = r.key!.toString();
        runs.set(k, [...(runs.get(k) ?? []), Number(r.value!.readBigInt64BE(0))]);
      }
    }, { exitAtEnd: true });
    await c.close();
  } finally {
    await cluster.close();
  }
  return runs;
}

/** Produces null-keyed lines with explicit timestamps. */
export async function produceAt(bootstrap: string, topic: string, lines: Array<{ value: string; ts: number }>): Promise<void> {
  const cluster = clusterFor(bootstrap);
  const producer = new Producer(cluster);
  try {
    await producer.prepareTopic(topic);
    for (const l of lines) producer.send({ topic, key: null, value: Buffer.from(l.value), timestamp: l.ts });
    await producer.flush();
  } finally {
    await producer.close();
    await cluster.close();
  }
}

/** Waits until every key's last committed count (read_committed) reaches its exact count; returns the runs last read. */
export async function waitForExactCounts(bootstrap: string, topic: string, exact: Map<string, number>, what: string): Promise<Map<string, number[]>> {
  let runs = new Map<string, number[]>();
  await waitFor(
    what,
    async () => {
      runs = await countRuns(bootstrap, topic, "read_committed");
      return [...exact].every(([k, v]) => (runs.get(k)?.at(-1) ?? 0) >= v);
    },
    180_000,
  );
  return runs;
}

/** Exactly once: the keys are exact's, and each key's counts rise strictly to its exact count (no replay, no leaked abort). */
export function expectExactRuns(runs: Map<string, number[]>, exact: Map<string, number>): void {
  expect([...runs.keys()].sort()).toEqual([...exact.keys()].sort());
  for (const [key, n] of exact) {
    const seq = runs.get(key)!;
    expect(seq.at(-1), key).toBe(n);
    for (let i = 1; i < seq.length; i++) expect(seq[i]!, `${key}: counts ${seq.slice(Math.max(0, i - 3), i + 2).join(",")}`).toBeGreaterThan(seq[i - 1]!);
  }
}
