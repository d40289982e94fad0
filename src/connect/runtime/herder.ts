import type { Cluster } from '../../client/cluster.ts';
import { Admin } from '../../client/admin.ts';
import type { Connector, ConnectorClass, Props, SinkTask, SourceTask } from '../api.ts';
import { ConfigException, validateConfig, type ConfigDef, type ConfigValueInfo } from '../config-def.ts';
import { converterClasses } from '../converters/index.ts';
import { predicateClasses, transformClasses, TransformationChain } from '../transforms/chain.ts';
import { errorSettings } from './error-handler.ts';
import type { SourceOffsetStore } from './offset-store.ts';
import { BUILTIN, resolveConnectorClass } from './plugins.ts';
import { SinkTaskRunner } from './sink-task-runner.ts';
import { SourceTaskRunner } from './source-task-runner.ts';
import type { WorkerTask } from './task-env.ts';
import type { WorkerConfig } from './worker-config.ts';
import { KAFKA_VERSION } from '../version.ts';

/**
 * The standalone herder (StandaloneHerder + Worker): connector configs and target states in memory
 * (standalone mode keeps them in the files it was started with plus what the REST API added), one
 * Connector instance per connector, its tasks run here. Errors are RestErrors carrying Kafka's status
 * codes and messages, which the REST layer turns into `{"error_code":…,"message":…}`.
 */

export type TargetState = 'STARTED' | 'PAUSED' | 'STOPPED';
export type ConnectorState = 'UNASSIGNED' | 'RUNNING' | 'PAUSED' | 'STOPPED' | 'FAILED' | 'RESTARTING';

export class RestError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

const notFound = (name: string) => new RestError(404, `Connector ${name} not found`);

interface Entry {
  name: string;
  config: Props;
  cls: ConnectorClass;
  target: TargetState;
  connector: Connector | null;
  state: ConnectorState;
  trace: string | null;
  taskConfigs: Props[];
  tasks: WorkerTask[];
  /** Topics used, kept across restarts until reset (as Kafka's topic tracking). */
  topics: Set<string>;
}

export interface ConnectorInfo {
  name: string;
  config: Props;
  tasks: Array<{ connector: string; task: number }>;
  type: 'source' | 'sink';
}

export interface StateInfo {
  state: string;
  worker_id: string;
  trace?: string;
}

export interface ConnectorStateInfo {
  name: string;
  connector: StateInfo;
  tasks: Array<StateInfo & { id: number }>;
  type: 'source' | 'sink';
}

export interface HerderOptions {
  worker: WorkerConfig;
  cluster: Cluster;
  offsets: SourceOffsetStore;
  workerId: string;
  log(line: string): void;
}

export class Herder {
  private readonly opts: HerderOptions;
  private readonly entries = new Map<string, Entry>();
  workerId: string;

  constructor(opts: HerderOptions) {
    this.opts = opts;
    this.workerId = opts.workerId;
  }

  connectors(): string[] {
    return [...this.entries.keys()];
  }

  private entry(name: string): Entry {
    const e = this.entries.get(name);
    if (!e) throw notFound(name);
    return e;
  }

  /** Validation as AbstractHerder.validateConnectorConfig, turned into a 400 naming each error. */
  private async check(config: Props): Promise<ConnectorClass> {
    const v = await this.validate(config);
    if (v.error_count > 0) {
      const errs = v.configs.filter((c) => c.value.errors.length > 0).map((c) => `Invalid value ${c.value.value} for configuration ${c.value.name}: ${c.value.errors.join(', ')}`);
      throw new RestError(
        400,
        `Connector configuration is invalid and contains the following ${v.error_count} error(s):\n${errs.join('\n')}\nYou can also find the above list of errors at the endpoint \`/connector-plugins/{connectorType}/config/validate\``,
      );
    }
    return resolveConnectorClass(config['connector.class']);
  }

  async validate(config: Props): Promise<{ name: string; error_count: number; groups: string[]; configs: ConfigValueInfo[] }> {
    const clsName = config['connector.class'];
    if (!clsName) throw new RestError(400, 'Connector config {} contains no connector type'.replace('{}', JSON.stringify(config)));
    let cls: ConnectorClass;
    try {
      cls = await resolveConnectorClass(clsName);
    } catch (e) {
      throw new RestError(400, (e as Error).message);
    }
    const common = commonDef(cls.type);
    const own = cls.create().config();
    const configs = [...validateConfig(common, config), ...validateConfig(own, config)];
    // Transform / predicate / errors settings are checked by building them, as Kafka's enrichment does.
    const extra = (name: string, fn: () => void) => {
      try {
        fn();
      } catch (e) {
        const c = configs.find((x) => x.value.name === name);
        if (c) c.value.errors.push((e as Error).message);
      }
    };
    extra('transforms', () => new TransformationChain(config));
    extra('errors.tolerance', () => errorSettings(config));
    if (cls.type === 'sink') {
      extra('topics', () => {
        const t = (config.topics ?? '').trim();
        const r = (config['topics.regex'] ?? '').trim();
        if (t !== '' && r !== '') throw new Error('topics and topics.regex are mutually exclusive options, but both are set.');
        if (t === '' && r === '') throw new Error('Must configure one of topics or topics.regex');
      });
    }
    const error_count = configs.reduce((n, c) => n + c.value.errors.length, 0);
    const groups = [...new Set(configs.map((c) => c.definition.group).filter((g): g is string => g !== null))];
    return { name: cls.className, error_count, groups, configs };
  }

  /** PUT /connectors/{name}/config and POST /connectors. */
  async putConnectorConfig(name: string, config: Props, allowReplace: boolean, initial: TargetState = 'STARTED'): Promise<{ created: boolean; info: ConnectorInfo }> {
    const existing = this.entries.get(name);
    if (existing && !allowReplace) throw new RestError(409, `Connector ${name} already exists`);
    const cls = await this.check(config);
    if (existing) {
      if (existing.cls.type !== cls.type) throw new RestError(400, `Connector ${name} is a ${existing.cls.type} connector and cannot be reconfigured as a ${cls.type} connector`);
      await this.stopConnector(existing);
      existing.config = { ...config };
      existing.cls = cls;
      if (existing.target !== 'STOPPED') await this.startConnector(existing);
      return { created: false, info: this.info(existing) };
    }
    const e: Entry = { name, config: { ...config }, cls, target: initial, connector: null, state: 'UNASSIGNED', trace: null, taskConfigs: [], tasks: [], topics: new Set() };
    this.entries.set(name, e);
    if (initial === 'STOPPED') e.state = 'STOPPED';
    else await this.startConnector(e);
    return { created: true, info: this.info(e) };
  }

  private async startConnector(e: Entry): Promise<void> {
    e.trace = null;
    try {
      const c = e.cls.create();
      await c.start({ ...e.config });
      e.connector = c;
      const maxTasks = Number(e.config['tasks.max'] ?? '1');
      e.taskConfigs = c.taskConfigs(maxTasks).slice(0, maxTasks);
      e.state = e.target === 'PAUSED' ? 'PAUSED' : 'RUNNING';
    } catch (err) {
      e.state = 'FAILED';
      e.trace = (err as Error).stack ?? String(err);
      this.opts.log(`connector ${e.name} failed to start: ${(err as Error).message}`);
      return;
    }
    e.tasks = e.taskConfigs.map((tc, i) => this.startTask(e, i, tc));
  }

  private startTask(e: Entry, id: number, taskConfig: Props): WorkerTask {
    const env = {
      connector: e.name,
      taskId: id,
      connectorConfig: e.config,
      taskConfig,
      worker: this.opts.worker,
      cluster: this.opts.cluster,
      offsets: this.opts.offsets,
      log: this.opts.log,
    };
    const impl = e.connector!.createTask();
    const t = e.cls.type === 'source' ? new SourceTaskRunner(env, impl as SourceTask) : new SinkTaskRunner(env, impl as SinkTask);
    if (e.target === 'PAUSED') t.pause();
    t.start();
    return t;
  }

  private async stopTasks(e: Entry): Promise<void> {
    const tasks = e.tasks;
    e.tasks = [];
    // As Kafka's task.shutdown.graceful.timeout.ms: a task stuck in poll()/put() (e.g. reading stdin)
    // must not hold up a shutdown forever; it is abandoned after the timeout, with a log line.
    const graceMs = Number(this.opts.worker.props['task.shutdown.graceful.timeout.ms'] ?? '5000');
    await Promise.all(
      tasks.map(async (t) => {
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), graceMs)));
        const r = await Promise.race([t.stop().then(() => 'done' as const), late]);
        clearTimeout(timer);
        if (r === 'late') this.opts.log(`Graceful stop of task ${e.name}-${t.id} failed: it did not stop within ${graceMs} ms`);
      }),
    );
    for (const t of tasks) for (const topic of t.topics) e.topics.add(topic);
  }

  private async stopConnector(e: Entry): Promise<void> {
    await this.stopTasks(e);
    try {
      await e.connector?.stop();
    } catch (err) {
      this.opts.log(`connector ${e.name} failed to stop cleanly: ${(err as Error).message}`);
    }
    e.connector = null;
  }

  async deleteConnector(name: string): Promise<void> {
    const e = this.entry(name);
    await this.stopConnector(e);
    this.entries.delete(name);
  }

  info(e: Entry | string): ConnectorInfo {
    const x = typeof e === 'string' ? this.entry(e) : e;
    return { name: x.name, config: { ...x.config }, tasks: x.taskConfigs.map((_, i) => ({ connector: x.name, task: i })), type: x.cls.type };
  }

  config(name: string): Props {
    return { ...this.entry(name).config };
  }

  taskConfigs(name: string): Array<{ id: { connector: string; task: number }; config: Props }> {
    const e = this.entry(name);
    return e.taskConfigs.map((config, task) => ({ id: { connector: name, task }, config: { ...config, 'task.class': taskClassName(e.cls) } }));
  }

  status(name: string): ConnectorStateInfo {
    const e = this.entries.get(name);
    if (!e) throw new RestError(404, `No status found for connector ${name}`);
    const st = (state: string, trace: string | null): StateInfo => (trace ? { state, worker_id: this.workerId, trace } : { state, worker_id: this.workerId });
    return {
      name,
      connector: st(e.state, e.trace),
      tasks: e.tasks.map((t) => ({ id: t.id, ...st(t.state, t.trace) })),
      type: e.cls.type,
    };
  }

  taskStatus(name: string, id: number): StateInfo & { id: number } {
    const t = this.entries.has(name) ? this.status(name).tasks.find((x) => x.id === id) : undefined;
    if (!t) throw new RestError(404, `No status found for task ${name}-${id}`);
    return t;
  }

  activeTopics(name: string): { topics: string[] } {
    const e = this.entry(name);
    const all = new Set(e.topics);
    for (const t of e.tasks) for (const topic of t.topics) all.add(topic);
    return { topics: [...all].sort() };
  }

  resetActiveTopics(name: string): void {
    const e = this.entry(name);
    e.topics.clear();
    for (const t of e.tasks) (t.topics as Set<string>).clear();
  }

  /** pause/resume name a missing connector as AbstractHerder does ("Unknown connector x"). */
  private known(name: string, sep = ' '): Entry {
    const e = this.entries.get(name);
    if (!e) throw new RestError(404, `Unknown connector${sep}${name}`);
    return e;
  }

  pause(name: string): void {
    const e = this.known(name);
    if (e.target === 'STOPPED') return void (e.target = 'PAUSED');
    e.target = 'PAUSED';
    if (e.state === 'RUNNING') e.state = 'PAUSED';
    for (const t of e.tasks) t.pause();
  }

  async resume(name: string): Promise<void> {
    const e = this.known(name);
    const wasStopped = e.target === 'STOPPED' || e.state === 'STOPPED';
    e.target = 'STARTED';
    if (wasStopped) return this.startConnector(e);
    if (e.state === 'PAUSED') e.state = 'RUNNING';
    for (const t of e.tasks) t.resume();
  }

  /** PUT /stop: the connector and its tasks stop; the task count becomes 0 (KIP-875). */
  async stop(name: string): Promise<void> {
    const e = this.entry(name);
    e.target = 'STOPPED';
    await this.stopConnector(e);
    e.taskConfigs = [];
    e.state = 'STOPPED';
  }

  /** POST /restart; returns null for the plain (connector-only) restart, which answers 204. */
  async restart(name: string, includeTasks: boolean, onlyFailed: boolean): Promise<ConnectorStateInfo | null> {
    const e = includeTasks || onlyFailed ? this.known(name, ': ') : this.entry(name);
    if (e.target === 'STOPPED') {
      if (!includeTasks && !onlyFailed) return null;
      return this.status(name);
    }
    const connectorToo = !onlyFailed || e.state === 'FAILED';
    if (!includeTasks && !onlyFailed) {
      await this.restartConnectorOnly(e);
      return null;
    }
    const restartTasks = includeTasks ? e.tasks.filter((t) => !onlyFailed || t.state === 'FAILED').map((t) => t.id) : [];
    const before = this.status(name);
    const pending: ConnectorStateInfo = {
      ...before,
      connector: connectorToo ? { ...before.connector, state: 'RESTARTING' } : before.connector,
      tasks: before.tasks.map((t) => (restartTasks.includes(t.id) ? { id: t.id, state: 'RESTARTING', worker_id: t.worker_id } : t)),
    };
    if (connectorToo) {
      if (restartTasks.length === e.tasks.length) {
        await this.stopConnector(e);
        await this.startConnector(e);
        return pending;
      }
      await this.restartConnectorOnly(e);
    }
    for (const id of restartTasks) await this.restartTask(name, id);
    return pending;
  }

  private async restartConnectorOnly(e: Entry): Promise<void> {
    try {
      await e.connector?.stop();
      const c = e.cls.create();
      await c.start({ ...e.config });
      e.connector = c;
      e.state = e.target === 'PAUSED' ? 'PAUSED' : 'RUNNING';
      e.trace = null;
    } catch (err) {
      e.state = 'FAILED';
      e.trace = (err as Error).stack ?? String(err);
    }
  }

  async restartTask(name: string, id: number): Promise<void> {
    const e = this.entry(name);
    const idx = e.tasks.findIndex((t) => t.id === id);
    if (idx < 0) throw new RestError(404, `Task ${name}-${id} not found`);
    const old = e.tasks[idx]!;
    await old.stop();
    for (const topic of old.topics) e.topics.add(topic);
    if (!e.connector) throw new RestError(500, `Failed to start task: ${name}-${id}`);
    e.tasks[idx] = this.startTask(e, id, e.taskConfigs[id]!);
  }

  // ---- KIP-875 offsets ----

  private groupId(name: string): string {
    return `connect-${name}`;
  }

  async offsets(name: string): Promise<{ offsets: Array<{ partition: Record<string, unknown>; offset: Record<string, unknown> | null }> }> {
    const e = this.entry(name);
    if (e.cls.type === 'source') return { offsets: this.opts.offsets.entries(name) };
    const admin = new Admin(this.opts.cluster);
    const d = await admin.describeGroup(this.groupId(name)).catch(() => null);
    const parts = (d?.partitions ?? []).filter((p) => p.committed !== null);
    return {
      offsets: parts.map((p) => ({ partition: { kafka_topic: p.topic, kafka_partition: p.partition }, offset: { kafka_offset: p.committed } })),
    };
  }

  private modifiable(name: string): Entry {
    const e = this.entry(name);
    if (e.target !== 'STOPPED' || e.taskConfigs.length !== 0) {
      throw new RestError(
        400,
        `Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/${name}/stop' endpoint`,
      );
    }
    return e;
  }

  async alterOffsets(name: string, body: unknown): Promise<{ message: string }> {
    const list = (body as { offsets?: unknown } | null)?.offsets;
    if (!Array.isArray(list) || list.length === 0) throw new RestError(400, 'Partitions / offsets need to be provided for an alter offsets request');
    const e = this.modifiable(name);
    if (e.cls.type === 'source') {
      for (const item of list as Array<{ partition?: unknown; offset?: unknown }>) {
        if (!item.partition || typeof item.partition !== 'object') throw new RestError(400, 'Source partitions may not be null');
        if (item.offset !== null && typeof item.offset !== 'object') throw new RestError(400, 'Source offsets must be objects or null');
      }
      for (const item of list as Array<{ partition: Record<string, unknown>; offset: Record<string, unknown> | null }>) this.opts.offsets.set(name, item.partition, item.offset);
      await this.opts.offsets.save();
      return { message: 'The offsets for this connector have been altered successfully' };
    }
    const plan: Array<{ topic: string; partition: number; current: null; target: number }> = [];
    for (const item of list as Array<{ partition?: Record<string, unknown>; offset?: Record<string, unknown> | null }>) {
      const topic = item.partition?.kafka_topic;
      const partition = item.partition?.kafka_partition;
      if (typeof topic !== 'string') throw new RestError(400, "Kafka partitions must contain a 'kafka_topic' key with a string value");
      if (typeof partition !== 'number' || !Number.isInteger(partition)) throw new RestError(400, "Kafka partitions must contain a 'kafka_partition' key with an integer value");
      const off = item.offset?.kafka_offset;
      if (item.offset === null) throw new RestError(400, 'Resetting individual sink partitions (null offsets) is not supported yet; use DELETE /connectors/{name}/offsets');
      if (typeof off !== 'number' || !Number.isInteger(off) || off < 0) throw new RestError(400, "Kafka offsets must contain a 'kafka_offset' key with a non-negative integer value");
      plan.push({ topic, partition, current: null, target: off });
    }
    await new Admin(this.opts.cluster).executeReset(this.groupId(name), plan, 'Empty');
    return { message: 'The offsets for this connector have been altered successfully' };
  }

  async resetOffsets(name: string): Promise<{ message: string }> {
    const e = this.modifiable(name);
    if (e.cls.type === 'source') {
      this.opts.offsets.clear(name);
      await this.opts.offsets.save();
    } else {
      const admin = new Admin(this.opts.cluster);
      const groups = await admin.listGroups();
      if (groups.some((g) => g.groupId === this.groupId(name))) await admin.deleteGroups([this.groupId(name)]);
    }
    return { message: 'The offsets for this connector have been reset successfully' };
  }

  /** GET /connector-plugins: connectors only by default; transforms, predicates and converters with connectorsOnly=false. */
  plugins(connectorsOnly: boolean): Array<{ class: string; type: string; version?: string }> {
    const out: Array<{ class: string; type: string; version?: string }> = BUILTIN.map((c) => ({ class: c.className, type: c.type, version: KAFKA_VERSION }));
    if (connectorsOnly) return out;
    for (const t of transformClasses) out.push({ class: t, type: 'transformation', version: KAFKA_VERSION });
    for (const p of predicateClasses) out.push({ class: p, type: 'predicate', version: KAFKA_VERSION });
    for (const c of converterClasses) out.push({ class: c, type: 'converter', version: KAFKA_VERSION });
    return out;
  }

  /** Stops every connector (worker shutdown), committing offsets. */
  async close(): Promise<void> {
    await Promise.all([...this.entries.values()].map((e) => this.stopConnector(e)));
  }
}

function taskClassName(cls: ConnectorClass): string {
  return cls.className.replace(/Connector$/, 'Task');
}

/** ConnectorConfig's common keys (SourceConnectorConfig / SinkConnectorConfig add their own). */
function commonDef(type: 'source' | 'sink'): ConfigDef {
  const base: ConfigDef = [
    { name: 'name', type: 'STRING', importance: 'HIGH', documentation: 'Globally unique name to use for this connector.', group: 'Common', displayName: 'Connector name', validate: (v) => {
      if (String(v).trim() === '') throw new Error('String may not be empty');
    } },
    { name: 'connector.class', type: 'STRING', importance: 'HIGH', documentation: 'Name or alias of the class for this connector.', group: 'Common', displayName: 'Connector class' },
    { name: 'tasks.max', type: 'INT', defaultValue: '1', importance: 'HIGH', documentation: 'Maximum number of tasks to use for this connector.', group: 'Common', displayName: 'Tasks max', validate: (v) => {
      if ((v as number) < 1) throw new Error('Value must be at least 1');
    } },
    { name: 'key.converter', type: 'CLASS', defaultValue: null, importance: 'LOW', documentation: 'Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka.', group: 'Common', displayName: 'Key converter class', validate: (v) => {
      if (!converterClasses.includes(String(v)) && !['JsonConverter', 'StringConverter', 'ByteArrayConverter'].includes(String(v))) throw new Error(`Class ${v} could not be found.`);
    } },
    { name: 'value.converter', type: 'CLASS', defaultValue: null, importance: 'LOW', documentation: 'Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka.', group: 'Common', displayName: 'Value converter class', validate: (v) => {
      if (!converterClasses.includes(String(v)) && !['JsonConverter', 'StringConverter', 'ByteArrayConverter'].includes(String(v))) throw new Error(`Class ${v} could not be found.`);
    } },
    { name: 'transforms', type: 'LIST', defaultValue: '', importance: 'LOW', documentation: 'Aliases for the transformations to be applied to records.', group: 'Transforms', displayName: 'Transforms' },
    { name: 'predicates', type: 'LIST', defaultValue: '', importance: 'LOW', documentation: 'Aliases for the predicates used by transformations.', group: 'Predicates', displayName: 'Predicates' },
    { name: 'errors.tolerance', type: 'STRING', defaultValue: 'none', importance: 'MEDIUM', documentation: 'Behavior for tolerating errors during connector operation.', group: 'Error Handling', displayName: 'Error Tolerance' },
    { name: 'errors.log.enable', type: 'BOOLEAN', defaultValue: 'false', importance: 'MEDIUM', documentation: 'If true, write each error and the details of the failed operation and problematic record to the Connect application log.', group: 'Error Handling', displayName: 'Log Errors' },
    { name: 'errors.log.include.messages', type: 'BOOLEAN', defaultValue: 'false', importance: 'MEDIUM', documentation: 'Whether to include in the log the Connect record that resulted in a failure.', group: 'Error Handling', displayName: 'Log Error Details' },
  ];
  if (type === 'sink') {
    base.push(
      { name: 'topics', type: 'LIST', defaultValue: '', importance: 'HIGH', documentation: 'List of topics to consume, separated by commas', group: 'Common', displayName: 'Topics' },
      { name: 'topics.regex', type: 'STRING', defaultValue: '', importance: 'HIGH', documentation: 'Regular expression giving topics to consume.', group: 'Common', displayName: 'Topics regex' },
      { name: 'errors.deadletterqueue.topic.name', type: 'STRING', defaultValue: '', importance: 'MEDIUM', documentation: 'The name of the topic to be used as the dead letter queue (DLQ) for messages that result in an error when processed by this sink connector.', group: 'Error Handling', displayName: 'Dead Letter Queue Topic Name' },
      { name: 'errors.deadletterqueue.topic.replication.factor', type: 'INT', defaultValue: '3', importance: 'MEDIUM', documentation: 'Replication factor used to create the dead letter queue topic when it doesn\'t already exist.', group: 'Error Handling', displayName: 'Dead Letter Queue Topic Replication Factor' },
      { name: 'errors.deadletterqueue.context.headers.enable', type: 'BOOLEAN', defaultValue: 'false', importance: 'MEDIUM', documentation: 'If true, add headers containing error context to the messages written to the dead letter queue.', group: 'Error Handling', displayName: 'Enable Error Context Headers' },
    );
  }
  return base;
}

export { ConfigException };
