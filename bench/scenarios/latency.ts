/**
 * Scenario 4: end-to-end latency produce → broker → consume at a fixed moderate rate.
 * Producer: kafkajs in this process, one record per send (no batching), acks=1, at `rate` msg/s for
 * `seconds`. Consumer: `kcat -C -o end -u -f '%s\n'` (unbuffered output, librdkafka defaults, so a
 * broker that does not wake long-polling fetches on append shows up as fetch.wait.max.ms = 500 ms).
 * Each value carries its send time (process.hrtime), the receive time is when kcat's line arrives
 * here, so both ends use one clock. produce→ack (send → kafkajs promise resolved) is reported too,
 * to tell the produce half from the fetch half.
 */
import kafkajs from 'kafkajs';
import type { BrokerHandle } from '../lib/broker.ts';
import type { Ctx } from '../lib/context.ts';
import { KCAT } from '../lib/kcat.ts';
import { killGroup, start, type Started } from '../lib/proc.ts';
import { percentile } from '../lib/stats.ts';

const { Kafka, logLevel } = kafkajs;

function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export async function latencyScenario(ctx: Ctx, broker: BrokerHandle): Promise<void> {
  const rate = 1000;
  const seconds = ctx.quick ? 2 : 10;
  const total = rate * seconds;
  const topic = 'latency';
  const params = { rate, seconds, records: total, valueBytes: 100, producer: 'kafkajs acks=1, one record per send', consumer: "kcat -C -o end -u (librdkafka defaults)" };
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  // kafkajs 2.2.4 schedules setTimeout(-Date.now()) on Node ≥ 23 (harmless); keep it off the table.
  process.removeAllListeners('warning');
  process.on('warning', (w) => {
    if (w.name !== 'TimeoutNegativeWarning') process.stderr.write(`${w.name}: ${w.message}\n`);
  });
  const kafka = new Kafka({ clientId: 'kstream-bench', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  let consumer: Started | undefined;
  const lat: number[] = [];
  const ack: number[] = [];
  let warm = false;
  let buf = '';
  const onData = (d: Buffer): void => {
    const t = nowMs();
    buf += d.toString('latin1');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.startsWith('w:')) warm = true;
      else if (line.startsWith('m:')) lat.push(t - Number(line.split(':')[2]));
    }
  };
  let error: string | undefined;
  try {
    await producer.connect();
    // Create the topic first: kcat -C gives up on a topic that does not exist yet.
    await producer.send({ topic, acks: 1, messages: [{ value: 'create' }] });
    consumer = start(KCAT, ['-C', '-b', broker.bootstrap, '-t', topic, '-p', '0', '-o', 'end', '-u', '-q', '-f', '%s\\n'], {
      stdout: 'pipe',
      stderr: 'pipe',
    });
    let consumerErr = '';
    consumer.child.stderr!.on('data', (d: Buffer) => (consumerErr += d.toString()));
    consumer.child.stdout!.on('data', onData);
    // Warm up until the consumer sees records (kcat connected and positioned at the end).
    const warmDeadline = Date.now() + 15_000;
    while (!warm) {
      if (Date.now() > warmDeadline) throw new Error(`consumer never saw the warm-up records ${consumerErr.slice(0, 300)}`);
      await producer.send({ topic, acks: 1, messages: [{ value: `w:${nowMs()}` }] });
      await new Promise((r) => setTimeout(r, 50));
    }
    const pad = 'x'.repeat(100);
    const sends: Promise<unknown>[] = [];
    const t0 = nowMs();
    let sent = 0;
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        const due = Math.min(total, Math.floor(((nowMs() - t0) / 1000) * rate));
        for (; sent < due; sent++) {
          const t = nowMs();
          const head = `m:${sent}:${t.toFixed(3)}:`;
          sends.push(producer.send({ topic, acks: 1, messages: [{ value: head + pad.slice(head.length) }] }).then(() => ack.push(nowMs() - t)));
        }
        if (sent >= total) resolve();
        else setTimeout(tick, 1);
      };
      tick();
    });
    await Promise.all(sends);
    const drainDeadline = Date.now() + 5_000;
    while (lat.length < total && Date.now() < drainDeadline) await new Promise((r) => setTimeout(r, 20));
    if (lat.length < total) error = `${total - lat.length} of ${total} records not seen by the consumer within 5 s`;
  } catch (e) {
    error = (e as Error).message.split('\n')[0];
  } finally {
    if (consumer) killGroup(consumer.child);
    await producer.disconnect().catch(() => undefined);
  }
  for (const [what, xs] of [['produce→consume', lat], ['produce→ack', ack]] as const) {
    for (const [name, p] of [['p50', 50], ['p99', 99]] as const) {
      ctx.rows.push({
        scenario: '4 latency',
        case: `${what} ${name} @ ${rate}/s`,
        metric: `latency ${name}`,
        unit: 'ms',
        value: xs.length ? percentile(xs, p) : NaN,
        samples: [],
        also: name === 'p99' && xs.length ? `max ${percentile(xs, 100).toFixed(1)} ms, n=${xs.length}` : undefined,
        refs: [],
        params,
        error,
      });
    }
  }
}
