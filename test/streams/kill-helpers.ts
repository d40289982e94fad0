/** Helpers for the SIGKILL tests: run an app through `kstream streams run` as a child, read per-key count runs. */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { Consumer } from "../../src/client/consumer.ts";
import { Producer } from "../../src/client/producer.ts";
import { nodeBin, repoRoot } from "../helpers/index.ts";
import { clusterFor } from "./runtime-helpers.ts";

export interface AppChild {
  child: ChildProcess;
  exited: Promise<number | string>;
  stderr: () => string;
}

export function startStreamsApp(children: Set<ChildProcess>, bootstrap: string, app: string, configs: Record<string, string>): AppChild {
  const args = [join(repoRoot, "bin", "dev"), "streams", "run", app, "-b", bootstrap];
  for (const [k, v] of Object.entries(configs)) args.push("--config", `${k}=${v}`);
  const child = spawn(nodeBin, args, { stdio: ["ignore", "pipe", "pipe"] });
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
