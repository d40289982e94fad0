/**
 * exactly_once_v2 end to end: the word-count program (examples/streams/wordcount.ts, as written,
 * exactly_once_v2) run through `kstream streams run`, SIGKILLed and restarted several times while input
 * keeps flowing. Read with read_committed, wc-output must hold, per word, a strictly increasing run of
 * counts ending at the exact count: a replayed record (at-least-once) would push a count past it or
 * repeat one, an aborted transaction leaking through would too. The final counts are read twice: with
 * our consumer and with kcat (`-s value=q`, isolation.level=read_committed), as the issue asks.
 * 3 SIGKILL rounds by default; KSTREAM_RELIABILITY_LONG=1 (or KSTREAM_STREAMS_LONG=1) does the 10.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hasKcat, repoRoot, runKcat, tempDir } from "../helpers/index.ts";
import { countRuns as readCountRuns, expectExactRuns, KILLS, killTestEnv, killWhileFeeding, wordCountInput, waitForExactCounts } from "./kill-helpers.ts";
import { createTopic, expectedCounts } from "./runtime-helpers.ts";

const APP = join(repoRoot, "examples", "streams", "wordcount.ts");
const broker = killTestEnv();

// No processing.guarantee override: the example asks for exactly_once_v2 itself.
const startApp = (stateDir: string) => broker.startApp(APP, { "state.dir": stateDir, "session.timeout.ms": "6000", "heartbeat.interval.ms": "1000" });
const countRuns = (isolationLevel: "read_committed" | "read_uncommitted") => readCountRuns(broker.bootstrap, "wc-output", isolationLevel);
const lastCommon = async (): Promise<number> => (await countRuns("read_committed")).get("common")?.at(-1) ?? 0;

describe("streams exactly_once_v2", () => {
  it(`word count gives exact counts under read_committed across ${KILLS} SIGKILLs while input flows`, async () => {
    await createTopic(broker.bootstrap, "wc-input", 2);
    await createTopic(broker.bootstrap, "wc-output", 2);
    const stateDir = await tempDir("kstream-streams-eos-");
    const { produced, produceBatch } = wordCountInput(broker);
    // Each kill only once this incarnation has committed output beyond what the last one did.
    const app = await killWhileFeeding({ kills: KILLS, start: () => startApp(stateDir), feed: produceBatch, pauseMs: 150, progress: lastCommon, what: "commit output" });
    await produceBatch(); // input after the last restart, too
    const exact = expectedCounts(produced);
    const runs = await waitForExactCounts(broker.bootstrap, "wc-output", exact, "the committed counts to reach the exact counts");
    expectExactRuns(runs, exact);
    // The same final counts through kcat (librdkafka), the reader: last value per word.
    if (hasKcat) {
      const out = await runKcat(["-b", broker.bootstrap, "-C", "-t", "wc-output", "-o", "beginning", "-e", "-q", "-s", "value=q", "-X", "isolation.level=read_committed", "-f", "%k=%s\\n"]);
      expect(out.code, out.stderr).toBe(0);
      const kcatLast = new Map<string, number>();
      const kcatRuns = new Map<string, number>();
      for (const l of out.stdout.split("\n").filter((x) => x.length > 0)) {
        const [k, v] = l.split("=");
        // Partitions interleave in kcat's output, but a word lives in one partition: its last line is its last count.
        kcatLast.set(k!, Number(v));
        kcatRuns.set(k!, (kcatRuns.get(k!) ?? 0) + 1);
      }
      expect(new Map([...kcatLast].sort()), "kcat -s value=q, read_committed").toEqual(new Map([...exact].sort()));
      for (const [word, seq] of runs) expect(kcatRuns.get(word), `${word}: kcat saw as many committed counts as our consumer`).toBe(seq.length);
    }
    // The kills did leave aborted (or never-committed) writes behind: read_uncommitted sees more.
    const dirty = await countRuns("read_uncommitted");
    const total = (m: Map<string, number[]>) => [...m.values()].reduce((a, s) => a + s.length, 0);
    expect(total(dirty)).toBeGreaterThanOrEqual(total(runs));

    app.child.kill("SIGTERM");
    expect(await app.exited).toBe(0);
    expect(app.stderr()).toBe("");
    // A clean close under EOS writes the checkpoint (an unclean one never leaves one behind).
    expect(existsSync(join(stateDir, "wordcount", "1_0", ".checkpoint"))).toBe(true);
  }, 600_000);
});
