import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, startTestBroker, tempDir, type TestBroker } from '../helpers/index.ts';
import { closeInProcessWorkers, closeWorkers, readAll, readRecords, startInProcessWorker, sequenceConnector, sequences, startWorkerChild, stopWorker, waitForTasks, workerProps, type WorkerChild } from './distributed-helpers.ts';
import { rest, waitFor } from './helpers.ts';

/**
 * Distributed mode end to end: `kstream connect distributed` workers as child processes in one group on
 * a real broker, a 4-task source connector shared between them, a worker SIGKILLed, REST forwarding
 * from a follower to the leader, and a whole cluster restarted from its topics.
 */

afterEach(async () => {
  await closeWorkers();
  await closeInProcessWorkers();
  await closeAll();
});

// Group timeouts small enough for a test: the broker must allow a 3 s session and start groups at once.
const broker = () => startTestBroker({ config: { 'group.min.session.timeout.ms': '1000', 'group.initial.rebalance.delay.ms': '0' } });

const seqConfig = (topic: string, tasks = 4) => ({ 'connector.class': sequenceConnector, 'tasks.max': String(tasks), topic, batch: '2', 'interval.ms': '50' });

function leaderOf(workers: WorkerChild[]): WorkerChild {
  const lines = (w: WorkerChild) => w.output().split('\n').filter((l) => l.includes('joined group'));
  const leader = workers.find((w) => lines(w).at(-1)?.includes(' as leader '));
  if (!leader) throw new Error(`no leader among the workers:\n${workers.map((w) => w.output()).join('\n---\n')}`);
  return leader;
}

async function startPair(b: TestBroker, group: string, extra: Record<string, string> = {}): Promise<[WorkerChild, WorkerChild]> {
  const dir = await tempDir();
  const props = workerProps(b.bootstrap, group, extra);
  return Promise.all([startWorkerChild(dir, 'w1', props), startWorkerChild(dir, 'w2', props)]);
}

describe('kstream connect distributed', () => {
  it('shares 4 tasks between two workers; a SIGKILLed worker’s tasks move to the other after the delay, nothing lost', async () => {
    const b = await broker();
    const [w1, w2] = await startPair(b, 'dist-a');
    const created = await rest(w1.url, 'POST', '/connectors', { name: 'seq', config: seqConfig('seq-out') });
    expect(created.status).toBe(201);
    // Both workers run tasks: 4 tasks over 2 workers, 2 each.
    const s = await waitForTasks(w2.url, 'seq', 4, (st) => new Set(st.tasks.map((t) => t.worker_id)).size === 2);
    expect(s.tasks.filter((t) => t.worker_id === w1.workerId)).toHaveLength(2);
    expect(s.tasks.filter((t) => t.worker_id === w2.workerId)).toHaveLength(2);
    // The status topic is what every worker answers from: both say the same.
    await waitForTasks(w1.url, 'seq', 4, (st) => JSON.stringify(st) === JSON.stringify(s));

    // Kill the follower: the leader remembers who had what and holds the lost tasks back for the delay
    // (a new leader, had the leader died, would have no such memory and reassign at once, as Kafka's).
    const survivor = leaderOf([w1, w2]);
    const victim = survivor === w1 ? w2 : w1;
    const before = sequences(await readAll(b.bootstrap, 'seq-out'));
    expect([...before.keys()].sort()).toEqual([0, 1, 2, 3]);
    await stopWorker(victim, 'SIGKILL');
    const killedAt = Date.now();
    const moved = await waitForTasks(survivor.url, 'seq', 4, (st) => st.tasks.every((t) => t.worker_id === survivor.workerId) && st.connector.worker_id === survivor.workerId);
    const movedAfter = Date.now() - killedAt;
    expect(moved.tasks).toHaveLength(4);
    // The survivor held the lost work back for scheduled.rebalance.max.delay.ms before taking it.
    expect(survivor.output()).toMatch(/lost work reassigned in \d+ ms/);
    expect(movedAfter).toBeGreaterThanOrEqual(1500);

    // Data keeps flowing from all four tasks, and no sequence number is missing.
    const marks = new Map([...sequences(await readAll(b.bootstrap, 'seq-out'))].map(([t, v]) => [t, v.max]));
    const after = await waitFor('every task to move on', async () => {
      const now = sequences(await readAll(b.bootstrap, 'seq-out'));
      return [0, 1, 2, 3].every((t) => (now.get(t)?.max ?? -1) > (marks.get(t) ?? 0) + 20) ? now : undefined;
    }, 30_000);
    for (const [t, v] of after) expect({ task: t, missing: v.missing }).toEqual({ task: t, missing: [] });
  }, 90_000);

  it('forwards config changes made on a follower to the leader', async () => {
    const b = await broker();
    const props = workerProps(b.bootstrap, 'dist-b');
    const workers = await Promise.all([startInProcessWorker(props), startInProcessWorker(props)]);
    const leader = await waitFor('a leader', () => workers.find((w) => w.herder.isLeader), 20_000);
    const follower = workers.find((w) => w !== leader)!;

    const created = await rest(follower.url, 'POST', '/connectors', { name: 'fwd', config: seqConfig('fwd-out', 2) });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/connectors/fwd');
    expect(created.body).toEqual({ name: 'fwd', config: { ...seqConfig('fwd-out', 2), name: 'fwd' }, tasks: [], type: 'source' });
    // The leader wrote it: both workers see it at once after the write.
    expect((await rest(leader.url, 'GET', '/connectors/fwd/config')).body).toEqual({ ...seqConfig('fwd-out', 2), name: 'fwd' });
    await waitForTasks(follower.url, 'fwd', 2);
    // Topic tracking goes through the status topic: every worker knows the topics of every task.
    for (const w of workers) await waitFor('tracked topics', async () => JSON.stringify((await rest(w.url, 'GET', '/connectors/fwd/topics')).body) === JSON.stringify({ fwd: { topics: ['fwd-out'] } }), 20_000);

    // The internal task-config endpoint wants the session key's signature (KIP-507).
    const unsigned = await rest(leader.url, 'POST', '/connectors/fwd/tasks', [{ topic: 'elsewhere' }]);
    expect(unsigned).toMatchObject({ status: 400, body: { error_code: 400, message: 'Internal request missing required signature' } });
    const forged = await fetch(`${leader.url}/connectors/fwd/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-Connect-Authorization': Buffer.alloc(32, 7).toString('base64'), 'X-Connect-Request-Signature-Algorithm': 'HmacSHA256' },
      body: JSON.stringify([{ topic: 'elsewhere' }]),
    });
    expect(forged.status).toBe(403);
    expect(await forged.json()).toEqual({ error_code: 403, message: 'Internal request contained invalid signature.' });

    const dup = await rest(follower.url, 'POST', '/connectors', { name: 'fwd', config: seqConfig('fwd-out', 2) });
    expect(dup).toMatchObject({ status: 409, body: { error_code: 409, message: 'Connector fwd already exists' } });
    // A request that was already forwarded once may not be forwarded again (Kafka's forward=false).
    const noHop = await rest(follower.url, 'DELETE', '/connectors/fwd?forward=false');
    expect(noHop).toMatchObject({ status: 409, body: { error_code: 409 } });

    const updated = await rest(follower.url, 'PUT', '/connectors/fwd/config', seqConfig('fwd-out', 3));
    expect(updated.status).toBe(200);
    await waitForTasks(leader.url, 'fwd', 3);

    expect((await rest(follower.url, 'DELETE', '/connectors/fwd')).status).toBe(204);
    // The leader wrote the tombstone and read it back; the follower sees it as its consumer catches up.
    expect((await rest(leader.url, 'GET', '/connectors')).body).toEqual([]);
    await waitFor('the follower to see the deletion', async () => JSON.stringify((await rest(follower.url, 'GET', '/connectors')).body) === '[]', 10_000);
    expect((await rest(leader.url, 'GET', '/connectors/fwd/status')).status).toBe(404);
    expect((await rest(follower.url, 'DELETE', '/connectors/nope')).body).toEqual({ error_code: 404, message: 'Connector nope not found' });
  }, 90_000);

  it('a restarted cluster recovers connector configs and source offsets from its topics', async () => {
    const b = await broker();
    const props = workerProps(b.bootstrap, 'dist-c');
    let workers = await Promise.all([startInProcessWorker(props), startInProcessWorker(props)]);
    expect((await rest(workers[0].url, 'POST', '/connectors', { name: 'seq', config: seqConfig('restart-out') })).status).toBe(201);
    await waitForTasks(workers[0].url, 'seq', 4);
    await waitFor('records from every task', async () => {
      const s = sequences(await readAll(b.bootstrap, 'restart-out'));
      return [0, 1, 2, 3].every((t) => (s.get(t)?.max ?? -1) > 20);
    }, 30_000);
    // A clean stop commits every task's offsets.
    await Promise.all(workers.map((w) => w.close()));
    const stoppedAt = sequences(await readAll(b.bootstrap, 'restart-out'));

    workers = await Promise.all([startInProcessWorker(props), startInProcessWorker(props)]);
    expect((await rest(workers[1].url, 'GET', '/connectors')).body).toEqual(['seq']);
    await waitForTasks(workers[1].url, 'seq', 4);
    const after = await waitFor('every task to resume', async () => {
      const s = sequences(await readAll(b.bootstrap, 'restart-out'));
      return [0, 1, 2, 3].every((t) => (s.get(t)?.max ?? -1) > (stoppedAt.get(t)?.max ?? 0) + 20) ? s : undefined;
    }, 30_000);
    const values = await readAll(b.bootstrap, 'restart-out');
    for (const [t, v] of after) {
      // Resumed where the committed offsets said, not from the start: seq 0 once, and no gap.
      expect({ task: t, missing: v.missing, firsts: values.filter((x) => x === `${t}:0`).length }).toEqual({ task: t, missing: [], firsts: 1 });
    }
    const offsets = (await rest(workers[0].url, 'GET', '/connectors/seq/offsets')).body as { offsets: Array<{ partition: { task: number }; offset: { seq: number } }> };
    expect(offsets.offsets.map((o) => o.partition.task).sort()).toEqual([0, 1, 2, 3]);

    // The topics hold Kafka's records: a Kafka worker pointed at them would read the same.
    const configKeys = new Set((await readRecords(b.bootstrap, 'dist-c-configs')).map((r) => r.key));
    for (const k of ['connector-seq', 'task-seq-0', 'task-seq-3', 'commit-seq', 'session-key']) expect(configKeys.has(k)).toBe(true);
    const configRecords = await readRecords(b.bootstrap, 'dist-c-configs');
    expect(JSON.parse(configRecords.find((r) => r.key === 'commit-seq')!.value!)).toEqual({ tasks: 4 });
    expect(JSON.parse(configRecords.find((r) => r.key === 'connector-seq')!.value!)).toEqual({ properties: { ...seqConfig('restart-out'), name: 'seq' } });
    const offsetRecords = await readRecords(b.bootstrap, 'dist-c-offsets');
    expect(offsetRecords.some((r) => r.key === '["seq",{"task":2}]' && /^\{"seq":\d+\}$/.test(r.value ?? ''))).toBe(true);
    const statusRecords = await readRecords(b.bootstrap, 'dist-c-status');
    const last = statusRecords.filter((r) => r.key === 'status-connector-seq').at(-1)!;
    expect(Object.keys(JSON.parse(last.value!))).toEqual(['state', 'trace', 'worker_id', 'generation']);
  }, 90_000);

  it('exactly.once.source.support=enabled: records and offsets in one transaction, nothing lost or repeated across a SIGKILL', async () => {
    const b = await broker();
    const [w1, w2] = await startPair(b, 'dist-eos', { 'exactly.once.source.support': 'enabled' });
    expect((await rest(w1.url, 'POST', '/connectors', { name: 'seq', config: seqConfig('eos-out') })).status).toBe(201);
    await waitForTasks(w1.url, 'seq', 4, (st) => new Set(st.tasks.map((t) => t.worker_id)).size === 2);
    await waitFor('committed records from every task', async () => {
      const s = sequences(await readAll(b.bootstrap, 'eos-out', true));
      return [0, 1, 2, 3].every((t) => (s.get(t)?.max ?? -1) > 20);
    }, 30_000);
    await stopWorker(w2, 'SIGKILL');
    await waitForTasks(w1.url, 'seq', 4, (st) => st.tasks.every((t) => t.worker_id === w1.workerId));
    const marks = sequences(await readAll(b.bootstrap, 'eos-out', true));
    const after = await waitFor('every task to move on', async () => {
      const now = sequences(await readAll(b.bootstrap, 'eos-out', true));
      return [0, 1, 2, 3].every((t) => (now.get(t)?.max ?? -1) > (marks.get(t)?.max ?? 0) + 20) ? now : undefined;
    }, 30_000);
    for (const [t, v] of after) expect({ task: t, missing: v.missing, duplicates: v.duplicates }).toEqual({ task: t, missing: [], duplicates: 0 });
    // The transactional ids are Kafka's <group.id>-<connector>-<task>.
    const txns = await rest(w1.url, 'GET', '/connectors/seq/offsets');
    expect((txns.body as { offsets: unknown[] }).offsets).toHaveLength(4);
  }, 90_000);
});
