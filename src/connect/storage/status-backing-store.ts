import type { Cluster } from '../../client/cluster.ts';
import { KafkaBasedLog, type LogRecord } from './kafka-based-log.ts';

/**
 * Kafka's KafkaStatusBackingStore: the state of every connector and task, written by the worker that
 * runs it to `status.storage.topic` (compacted, 5 partitions by default) and read by every worker, so
 * `GET /connectors/{name}/status` answers the same on any of them. Keys and values as Kafka's:
 *   status-connector-<name>   {"state":"RUNNING","trace":null,"worker_id":"host:port","generation":3}
 *   status-task-<name>-<n>    (the same shape)
 *   status-topic-<topic>:connector-<name>
 *                             {"topic":{"name":"t","connector":"c","task":0,"discoverTimestamp":…}}
 * A deleted connector's statuses are removed with tombstones.
 */

export interface Status {
  state: string;
  trace: string | null;
  workerId: string;
  generation: number;
}

export class StatusBackingStore {
  readonly connectors = new Map<string, Status>();
  readonly tasks = new Map<string, Map<number, Status>>();
  /** connector → topics its tasks have used (topic tracking). */
  readonly topics = new Map<string, Set<string>>();
  private readonly log: KafkaBasedLog;

  constructor(cluster: Cluster, opts: { topic: string; partitions: number; replicationFactor: number }) {
    this.log = new KafkaBasedLog(cluster, { ...opts, onRecord: (r) => this.apply(r) });
  }

  start(): Promise<void> {
    return this.log.start();
  }

  stop(): Promise<void> {
    return this.log.stop();
  }

  readToEnd(): Promise<void> {
    return this.log.readToEnd();
  }

  private apply(r: LogRecord): void {
    const key = r.key ?? '';
    const topic = /^status-topic-(.+):connector-(.+)$/.exec(key);
    if (topic) {
      let set = this.topics.get(topic[2]!);
      if (!set) this.topics.set(topic[2]!, (set = new Set()));
      if (r.value === null) set.delete(topic[1]!);
      else set.add(topic[1]!);
      if (set.size === 0) this.topics.delete(topic[2]!);
      return;
    }
    let s: Status | null = null;
    if (r.value !== null) {
      try {
        const v = JSON.parse(r.value.toString('utf8')) as Record<string, unknown>;
        s = { state: String(v.state), trace: typeof v.trace === 'string' ? v.trace : null, workerId: String(v.worker_id ?? ''), generation: Number(v.generation ?? 0) };
      } catch {
        return;
      }
    }
    if (key.startsWith('status-connector-')) {
      const name = key.slice('status-connector-'.length);
      if (s) this.connectors.set(name, s);
      else this.connectors.delete(name);
      return;
    }
    const m = /^status-task-(.+)-(\d+)$/.exec(key);
    if (m) {
      let t = this.tasks.get(m[1]!);
      if (!t) this.tasks.set(m[1]!, (t = new Map()));
      if (s) t.set(Number(m[2]), s);
      else t.delete(Number(m[2]));
      if (t.size === 0) this.tasks.delete(m[1]!);
    }
  }

  private static value(s: Status): Buffer {
    return Buffer.from(JSON.stringify({ state: s.state, trace: s.trace, worker_id: s.workerId, generation: s.generation }), 'utf8');
  }

  /**
   * Kafka's putSafe: a write that must not overwrite the state another worker wrote in a newer
   * generation (a late "UNASSIGNED" from a worker that lost the task must not hide its new owner's state).
   */
  private isStale(existing: Status | undefined, s: Status): boolean {
    return existing !== undefined && existing.workerId !== s.workerId && existing.generation > s.generation;
  }

  async putConnectorSafe(name: string, s: Status): Promise<void> {
    if (!this.isStale(this.connectors.get(name), s)) await this.putConnector(name, s);
  }

  async putTaskSafe(name: string, id: number, s: Status): Promise<void> {
    if (!this.isStale(this.tasks.get(name)?.get(id), s)) await this.putTask(name, id, s);
  }

  /** Records that a connector's task used a topic (once per connector and topic). */
  async putTopic(connector: string, task: number, topic: string): Promise<void> {
    let set = this.topics.get(connector);
    if (!set) this.topics.set(connector, (set = new Set()));
    set.add(topic);
    const value = { topic: { name: topic, connector, task, discoverTimestamp: Date.now() } };
    await this.log.send(`status-topic-${topic}:connector-${connector}`, Buffer.from(JSON.stringify(value), 'utf8'));
  }

  /** PUT /connectors/{name}/topics/reset: tombstones for the connector's topic records. */
  async resetTopics(connector: string): Promise<void> {
    const set = this.topics.get(connector);
    this.topics.delete(connector);
    for (const t of set ?? []) this.log.sendNoWait(`status-topic-${t}:connector-${connector}`, null);
    await this.log.flush();
  }

  async putConnector(name: string, s: Status): Promise<void> {
    this.connectors.set(name, s);
    await this.log.send(`status-connector-${name}`, StatusBackingStore.value(s));
  }

  async putTask(name: string, id: number, s: Status): Promise<void> {
    let t = this.tasks.get(name);
    if (!t) this.tasks.set(name, (t = new Map()));
    t.set(id, s);
    await this.log.send(`status-task-${name}-${id}`, StatusBackingStore.value(s));
  }

  /** Tombstones for a deleted connector and its tasks (the leader writes them). */
  async remove(name: string): Promise<void> {
    const ids = [...(this.tasks.get(name)?.keys() ?? [])];
    this.connectors.delete(name);
    this.tasks.delete(name);
    for (const id of ids) this.log.sendNoWait(`status-task-${name}-${id}`, null);
    this.log.sendNoWait(`status-connector-${name}`, null);
    await this.log.flush();
  }
}
