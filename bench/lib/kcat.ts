/** kcat command lines used as load generator and as reference client (Debian's kcat 1.7.1). */
import { check, run, type RunResult } from './proc.ts';

export const KCAT = process.env.KCAT ?? 'kcat';

export interface ProduceOpts {
  /** 'mock' = librdkafka's in-memory null broker (`-X test.mock.num.brokers=1`), else host:port. */
  bootstrap: string | 'mock';
  topic: string;
  file: string;
  /** librdkafka properties (-X k=v), e.g. linger.ms, batch.num.messages, acks. */
  props?: Record<string, string | number>;
  timeoutMs: number;
}

function xs(props: Record<string, string | number> = {}): string[] {
  return Object.entries(props).flatMap(([k, v]) => ['-X', `${k}=${v}`]);
}

/**
 * `kcat -P -l FILE`: one record per line. With the mock broker librdkafka ignores -b (kcat still
 * requires one) and binds its own broker on a random loopback port.
 */
export function produceArgs(o: Omit<ProduceOpts, 'timeoutMs'>): string[] {
  const b = o.bootstrap === 'mock' ? ['-b', '127.0.0.1:9', '-X', 'test.mock.num.brokers=1'] : ['-b', o.bootstrap];
  return ['-P', ...b, '-t', o.topic, '-q', ...xs(o.props), '-l', o.file];
}

export async function kcatProduce(o: ProduceOpts): Promise<RunResult> {
  const r = await run(KCAT, produceArgs(o), { timeoutMs: o.timeoutMs, stdout: 'ignore' });
  // kcat reports failed deliveries on stderr but may still exit 0.
  if (r.code === 0 && /ERROR|Delivery failed|failed to produce/i.test(r.stderr)) r.code = 1;
  return check(r, `kcat -P ${o.topic}`);
}

/** `kcat -C -e` from the beginning, values to /dev/null; wall time of the whole process. */
export async function kcatConsume(bootstrap: string, topic: string, timeoutMs: number, props?: Record<string, string | number>): Promise<RunResult> {
  return check(
    await run(KCAT, ['-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', ...xs(props)], {
      timeoutMs,
      stdout: { file: '/dev/null' },
    }),
    `kcat -C ${topic}`,
  );
}

/** Offset of the last record of partition 0 (-1 when empty), read back with kcat. */
export async function kcatLastOffset(bootstrap: string, topic: string, timeoutMs = 30_000): Promise<number> {
  const r = check(
    await run(KCAT, ['-C', '-b', bootstrap, '-t', topic, '-p', '0', '-o', '-1', '-c', '1', '-e', '-q', '-f', '%o\\n'], {
      timeoutMs,
    }),
    `kcat last offset ${topic}`,
  );
  const t = r.stdout.trim();
  return t === '' ? -1 : Number(t.split('\n').pop());
}
