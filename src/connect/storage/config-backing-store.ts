import type { Cluster } from '../../client/cluster.ts';
import type { Props } from '../api.ts';
import { KafkaBasedLog, type LogRecord } from './kafka-based-log.ts';

/**
 * Kafka's KafkaConfigBackingStore: connector configs, task configs, target states and restart
 * requests in `config.storage.topic` (one partition, compacted), with Kafka's record keys and JSON
 * values (JsonConverter, schemas disabled), so a kstream worker and a Kafka worker read each other's:
 *   connector-<name>      {"properties":{…}}                 (null = deleted)
 *   task-<name>-<n>       {"properties":{…}}                 (applied only once committed)
 *   commit-<name>         {"tasks":<count>}
 *   target-state-<name>   {"state":"STARTED|PAUSED","state.v2":"STARTED|PAUSED|STOPPED"}
 *   restart-connector-<name> {"include-tasks":bool,"only-failed":bool}
 *   tasks-fencing-<name>  {"task-count":<count>}             (exactly-once sources)
 *   session-key           {"key":"<base64>","algorithm":"HmacSHA256","creation-timestamp":<ms>} (KIP-507)
 * Every worker reads the whole topic; the snapshot below is its view.
 */

export type TargetState = 'STARTED' | 'PAUSED' | 'STOPPED';

export interface RestartRequest {
  connector: string;
  includeTasks: boolean;
  onlyFailed: boolean;
}

export interface SessionKey {
  key: Buffer;
  /** The key's algorithm as Java names it (HmacSHA256). */
  algorithm: string;
  created: number;
}

export interface ConfigListener {
  onConnectorConfigUpdate(connector: string): void;
  onTaskConfigUpdate(connector: string): void;
  onTargetStateChange(connector: string): void;
  onRestartRequest(req: RestartRequest): void;
}

export interface ConfigBackingStoreOptions {
  topic: string;
  replicationFactor: number;
  listener: ConfigListener;
  log(line: string): void;
}

const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v), 'utf8');

export class ConfigBackingStore {
  readonly connectorConfigs = new Map<string, Props>();
  readonly targetStates = new Map<string, TargetState>();
  /** Committed task configs per connector. */
  readonly taskConfigs = new Map<string, Props[]>();
  /** Task counts recorded for exactly-once fencing (tasks-fencing-<name>). */
  readonly taskCountRecords = new Map<string, number>();
  /** The key internal REST requests are signed with (the leader writes a new one every inter.worker.key.ttl.ms). */
  sessionKey: SessionKey | null = null;
  /** Task configs written but not yet committed. */
  private readonly deferred = new Map<string, Map<number, Props>>();
  private readonly log: KafkaBasedLog;
  private readonly opts: ConfigBackingStoreOptions;
  /** Records applied so far (Kafka's config offset: the assignment names the offset it was made at). */
  offset = 0;

  constructor(cluster: Cluster, opts: ConfigBackingStoreOptions) {
    this.opts = opts;
    this.log = new KafkaBasedLog(cluster, { topic: opts.topic, partitions: 1, replicationFactor: opts.replicationFactor, onRecord: (r) => this.apply(r) });
  }

  async start(): Promise<void> {
    await this.log.start();
    if (this.log.partitions !== 1) {
      throw new Error(`Topic '${this.opts.topic}' supplied via the 'config.storage.topic' property is required to have a single partition in order to guarantee consistency of connector configurations, but found ${this.log.partitions} partitions.`);
    }
  }

  stop(): Promise<void> {
    return this.log.stop();
  }

  readToEnd(): Promise<void> {
    return this.log.readToEnd();
  }

  /** Every configured connector and its committed task count (what the leader assigns). */
  snapshot(): Map<string, number> {
    const out = new Map<string, number>();
    for (const name of this.connectorConfigs.keys()) out.set(name, this.taskConfigs.get(name)?.length ?? 0);
    return out;
  }

  targetState(name: string): TargetState {
    return this.targetStates.get(name) ?? 'STARTED';
  }

  private apply(r: LogRecord): void {
    this.offset = r.offset + 1;
    const key = r.key ?? '';
    let value: Record<string, unknown> | null = null;
    if (r.value !== null) {
      try {
        const parsed = JSON.parse(r.value.toString('utf8')) as unknown;
        if (parsed && typeof parsed === 'object') value = parsed as Record<string, unknown>;
      } catch {
        this.opts.log(`Ignoring config record ${key} at offset ${r.offset}: its value is not JSON`);
        return;
      }
    }
    const props = (v: Record<string, unknown> | null): Props | null => {
      const p = v?.properties;
      if (!p || typeof p !== 'object') return null;
      return Object.fromEntries(Object.entries(p as Record<string, unknown>).filter(([, x]) => x !== null).map(([k, x]) => [k, String(x)]));
    };
    const L = this.opts.listener;
    if (key.startsWith('target-state-')) {
      const name = key.slice('target-state-'.length);
      if (value === null) this.targetStates.delete(name);
      else {
        const s = String(value['state.v2'] ?? value.state ?? 'STARTED').toUpperCase();
        if (s !== 'STARTED' && s !== 'PAUSED' && s !== 'STOPPED') return this.opts.log(`Ignoring unknown target state ${s} for connector ${name}`);
        this.targetStates.set(name, s);
      }
      return L.onTargetStateChange(name);
    }
    if (key.startsWith('connector-')) {
      const name = key.slice('connector-'.length);
      if (value === null) {
        this.connectorConfigs.delete(name);
        this.targetStates.delete(name);
        this.taskConfigs.delete(name);
        this.deferred.delete(name);
      } else {
        const p = props(value);
        if (!p) return this.opts.log(`Ignoring connector config ${name}: no "properties" map`);
        this.connectorConfigs.set(name, p);
      }
      return L.onConnectorConfigUpdate(name);
    }
    if (key.startsWith('task-')) {
      const m = /^task-(.+)-(\d+)$/.exec(key);
      if (!m) return;
      const p = props(value);
      if (!p) return;
      let d = this.deferred.get(m[1]!);
      if (!d) this.deferred.set(m[1]!, (d = new Map()));
      d.set(Number(m[2]), p);
      return;
    }
    if (key.startsWith('commit-')) {
      const name = key.slice('commit-'.length);
      const count = Number(value?.tasks ?? -1);
      if (!Number.isInteger(count) || count < 0) return;
      const d = this.deferred.get(name) ?? new Map<number, Props>();
      const configs: Props[] = [];
      for (let i = 0; i < count; i++) {
        const c = d.get(i) ?? this.taskConfigs.get(name)?.[i];
        if (!c) return this.opts.log(`Ignoring task commit for ${name}: task ${i} has no config (an incomplete set of task configs)`);
        configs.push(c);
      }
      this.deferred.delete(name);
      this.taskConfigs.set(name, configs);
      return L.onTaskConfigUpdate(name);
    }
    if (key.startsWith('restart-connector-')) {
      if (value === null) return;
      L.onRestartRequest({ connector: key.slice('restart-connector-'.length), includeTasks: value['include-tasks'] === true, onlyFailed: value['only-failed'] === true });
      return;
    }
    if (key === 'session-key') {
      if (value && typeof value.key === 'string') this.sessionKey = { key: Buffer.from(value.key, 'base64'), algorithm: String(value.algorithm ?? 'HmacSHA256'), created: Number(value['creation-timestamp'] ?? 0) };
      return;
    }
    if (key.startsWith('tasks-fencing-')) {
      const name = key.slice('tasks-fencing-'.length);
      if (value === null) this.taskCountRecords.delete(name);
      else this.taskCountRecords.set(name, Number(value['task-count']));
    }
  }

  // ---- writes (each waits for the broker, then for our own consumer to have applied it) ----

  async putConnectorConfig(name: string, config: Props, target?: TargetState): Promise<void> {
    if (target) await this.log.send(`target-state-${name}`, json({ state: target === 'STOPPED' ? 'PAUSED' : target, 'state.v2': target }));
    await this.log.send(`connector-${name}`, json({ properties: config }));
    await this.log.readToEnd();
  }

  async removeConnectorConfig(name: string): Promise<void> {
    await this.log.send(`connector-${name}`, null);
    await this.log.send(`target-state-${name}`, null);
    await this.log.readToEnd();
  }

  /** Task configs then the commit record: readers apply the set only once the commit arrives. */
  async putTaskConfigs(name: string, configs: Props[]): Promise<void> {
    for (let i = 0; i < configs.length; i++) this.log.sendNoWait(`task-${name}-${i}`, json({ properties: configs[i] }));
    await this.log.flush();
    await this.log.send(`commit-${name}`, json({ tasks: configs.length }));
    await this.log.readToEnd();
  }

  async putTargetState(name: string, state: TargetState): Promise<void> {
    await this.log.send(`target-state-${name}`, json({ state: state === 'STOPPED' ? 'PAUSED' : state, 'state.v2': state }));
    await this.log.readToEnd();
  }

  async putRestartRequest(req: RestartRequest): Promise<void> {
    await this.log.send(`restart-connector-${req.connector}`, json({ 'include-tasks': req.includeTasks, 'only-failed': req.onlyFailed }));
    await this.log.readToEnd();
  }

  async putSessionKey(k: SessionKey): Promise<void> {
    await this.log.send('session-key', json({ key: k.key.toString('base64'), algorithm: k.algorithm, 'creation-timestamp': k.created }));
    await this.log.readToEnd();
  }

  async putTaskCountRecord(name: string, count: number): Promise<void> {
    await this.log.send(`tasks-fencing-${name}`, json({ 'task-count': count }));
    await this.log.readToEnd();
  }
}
