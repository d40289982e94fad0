import type { Cluster } from '../../../client/cluster.ts';
import type { Connector, ConnectorClass, Props, SinkTask, SourceTask } from '../../api.ts';
import type { ConfigBackingStore } from '../../storage/config-backing-store.ts';
import type { KafkaOffsetStore } from '../../storage/kafka-offset-store.ts';
import type { StatusBackingStore } from '../../storage/status-backing-store.ts';
import { resolveConnectorClass } from '../plugins.ts';
import { SinkTaskRunner } from '../sink-task-runner.ts';
import { SourceTaskRunner } from '../source-task-runner.ts';
import type { TaskEnv, WorkerTask } from '../task-env.ts';
import type { WorkerConfig } from '../worker-config.ts';
import type { TaskId } from './connect-protocol.ts';
import { ExactlyOnceSourceTaskRunner } from './exactly-once-source-task.ts';

/**
 * Kafka's Worker as the distributed herder uses it: the connectors and tasks assigned to this worker,
 * started from the config topic's snapshot and stopped on revocation. Their states go to the status
 * topic whenever they change (reportStatuses), so every worker can answer for them.
 */

export interface LocalConnector {
  name: string;
  cls: ConnectorClass;
  config: Props;
  instance: Connector | null;
  state: 'RUNNING' | 'PAUSED' | 'STOPPED' | 'FAILED' | 'UNASSIGNED';
  trace: string | null;
}

export interface LocalTask {
  id: TaskId;
  config: Props;
  runner: WorkerTask | null;
  /** Set when the task could not even be created (bad class, missing config). */
  failure: string | null;
}

export interface LocalWorkerOptions {
  worker: WorkerConfig;
  cluster: Cluster;
  config: ConfigBackingStore;
  offsets: KafkaOffsetStore;
  status: StatusBackingStore;
  workerId: () => string;
  /** exactly.once.source.support=enabled: source tasks write records and offsets in one transaction. */
  exactlyOnce: boolean;
  groupId: string;
  /** topic.tracking.enable */
  topicTracking: boolean;
  log(line: string): void;
}

export const taskKey = (t: TaskId): string => `${t.connector}-${t.task}`;

export class LocalWorker {
  readonly connectors = new Map<string, LocalConnector>();
  readonly tasks = new Map<string, LocalTask>();
  /** Last state written to the status topic per connector / task key. */
  private readonly reported = new Map<string, string>();
  private readonly opts: LocalWorkerOptions;
  generation = 0;

  constructor(opts: LocalWorkerOptions) {
    this.opts = opts;
  }

  /** The connectors and tasks this worker runs (its metadata's "allocation" in the next join). */
  owned(): { connectors: string[]; tasks: TaskId[] } {
    return { connectors: [...this.connectors.keys()], tasks: [...this.tasks.values()].map((t) => t.id) };
  }

  /** Starts (or restarts) an assigned connector in its target state. */
  async startConnector(name: string): Promise<void> {
    const config = this.opts.config.connectorConfigs.get(name);
    if (!config) return;
    const target = this.opts.config.targetState(name);
    let cls: ConnectorClass;
    try {
      cls = await resolveConnectorClass(config['connector.class']);
    } catch (e) {
      this.connectors.set(name, { name, cls: null as unknown as ConnectorClass, config, instance: null, state: 'FAILED', trace: (e as Error).stack ?? String(e) });
      return;
    }
    const c: LocalConnector = { name, cls, config: { ...config }, instance: null, state: 'STOPPED', trace: null };
    this.connectors.set(name, c);
    if (target === 'STOPPED') return;
    try {
      const instance = cls.create();
      await instance.start({ ...config });
      c.instance = instance;
      c.state = target === 'PAUSED' ? 'PAUSED' : 'RUNNING';
    } catch (e) {
      c.state = 'FAILED';
      c.trace = (e as Error).stack ?? String(e);
      this.opts.log(`connector ${name} failed to start: ${(e as Error).message}`);
    }
  }

  /** The task configs the running connector asks for now (Kafka adds task.class to each). */
  taskConfigsFor(name: string): Props[] | null {
    const c = this.connectors.get(name);
    if (!c?.instance) return null;
    const max = Number(c.config['tasks.max'] ?? '1');
    return c.instance
      .taskConfigs(max)
      .slice(0, max)
      .map((tc) => ({ ...tc, 'task.class': c.cls.className.replace(/Connector$/, 'Task') }));
  }

  async stopConnector(name: string, report: boolean): Promise<void> {
    const c = this.connectors.get(name);
    if (!c) return;
    this.connectors.delete(name);
    try {
      await c.instance?.stop();
    } catch (e) {
      this.opts.log(`connector ${name} failed to stop cleanly: ${(e as Error).message}`);
    }
    if (report) await this.opts.status.putConnectorSafe(name, { state: 'UNASSIGNED', trace: null, workerId: this.opts.workerId(), generation: this.generation });
    this.reported.delete(`c:${name}`);
  }

  /** Applies a new target state to a running connector and this worker's tasks of it. */
  async applyTargetState(name: string): Promise<'started' | 'stopped' | 'unchanged'> {
    const target = this.opts.config.targetState(name);
    for (const t of this.tasks.values()) {
      if (t.id.connector !== name || !t.runner) continue;
      if (target === 'PAUSED') t.runner.pause();
      else if (target === 'STARTED') t.runner.resume();
    }
    const c = this.connectors.get(name);
    if (!c || c.state === 'FAILED') return 'unchanged';
    if (target === 'STOPPED') {
      if (!c.instance) return 'unchanged';
      await c.instance.stop();
      c.instance = null;
      c.state = 'STOPPED';
      return 'stopped';
    }
    if (!c.instance) {
      await this.startConnector(name);
      return 'started';
    }
    c.state = target === 'PAUSED' ? 'PAUSED' : 'RUNNING';
    return 'unchanged';
  }

  async startTask(id: TaskId): Promise<void> {
    const key = taskKey(id);
    const connectorConfig = this.opts.config.connectorConfigs.get(id.connector);
    const taskConfig = this.opts.config.taskConfigs.get(id.connector)?.[id.task];
    const t: LocalTask = { id, config: taskConfig ?? {}, runner: null, failure: null };
    this.tasks.set(key, t);
    if (!connectorConfig || !taskConfig) {
      t.failure = `no configuration for task ${key}`;
      return;
    }
    try {
      const cls = await resolveConnectorClass(connectorConfig['connector.class']);
      const env: TaskEnv = {
        connector: id.connector,
        taskId: id.task,
        connectorConfig,
        taskConfig,
        worker: this.opts.worker,
        cluster: this.opts.cluster,
        offsets: this.opts.offsets,
        log: this.opts.log,
      };
      const impl = cls.create().createTask();
      let runner: WorkerTask;
      if (cls.type === 'source') {
        // What the previous owner committed must be visible before the task asks for its offsets.
        await this.opts.offsets.readToEnd();
        runner = this.opts.exactlyOnce
          ? new ExactlyOnceSourceTaskRunner(env, impl as SourceTask, { transactionalId: `${this.opts.groupId}-${id.connector}-${id.task}`, offsets: this.opts.offsets })
          : new SourceTaskRunner(env, impl as SourceTask);
      } else runner = new SinkTaskRunner(env, impl as SinkTask);
      if (this.opts.config.targetState(id.connector) === 'PAUSED') runner.pause();
      runner.start();
      t.runner = runner;
    } catch (e) {
      t.failure = (e as Error).stack ?? String(e);
      this.opts.log(`task ${key} failed to start: ${(e as Error).message}`);
    }
  }

  async stopTask(id: TaskId, report: boolean): Promise<void> {
    const key = taskKey(id);
    const t = this.tasks.get(key);
    if (!t) return;
    this.tasks.delete(key);
    const graceMs = Number(this.opts.worker.props['task.shutdown.graceful.timeout.ms'] ?? '5000');
    if (t.runner) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), graceMs)));
      const r = await Promise.race([t.runner.stop().then(() => 'done' as const), late]);
      clearTimeout(timer);
      if (r === 'late') this.opts.log(`Graceful stop of task ${key} failed: it did not stop within ${graceMs} ms`);
    }
    if (report) await this.opts.status.putTaskSafe(id.connector, id.task, { state: 'UNASSIGNED', trace: null, workerId: this.opts.workerId(), generation: this.generation });
    this.reported.delete(`t:${key}`);
  }

  async stopAll(report: boolean): Promise<void> {
    await Promise.all([...this.tasks.values()].map((t) => this.stopTask(t.id, report)));
    for (const name of [...this.connectors.keys()]) await this.stopConnector(name, report);
  }


  private writeConnectorStatus(name: string, state: string, trace: string | null): Promise<void> {
    return this.opts.status.putConnector(name, { state, trace, workerId: this.opts.workerId(), generation: this.generation });
  }

  private writeTaskStatus(id: TaskId, state: string, trace: string | null): Promise<void> {
    return this.opts.status.putTask(id.connector, id.task, { state, trace, workerId: this.opts.workerId(), generation: this.generation });
  }

  /** Writes every state that changed since the last call (Kafka's status listeners, batched per tick). */
  async reportStatuses(): Promise<void> {
    for (const c of this.connectors.values()) {
      const mark = `${c.state}\0${c.trace ?? ''}`;
      if (this.reported.get(`c:${c.name}`) === mark) continue;
      await this.writeConnectorStatus(c.name, c.state, c.trace);
      this.reported.set(`c:${c.name}`, mark);
    }
    for (const t of this.tasks.values()) {
      const state = t.failure ? 'FAILED' : (t.runner?.state ?? 'UNASSIGNED');
      const trace = t.failure ?? t.runner?.trace ?? null;
      const key = `t:${taskKey(t.id)}`;
      const mark = `${state}\0${trace ?? ''}`;
      if (this.reported.get(key) === mark) continue;
      await this.writeTaskStatus(t.id, state, trace);
      this.reported.set(key, mark);
    }
    // Topic tracking: each topic a connector's tasks use is recorded once in the status topic.
    if (this.opts.topicTracking) {
      for (const t of this.tasks.values()) {
        for (const topic of t.runner?.topics ?? []) {
          if (this.opts.status.topics.get(t.id.connector)?.has(topic)) continue;
          await this.opts.status.putTopic(t.id.connector, t.id.task, topic);
        }
      }
    }
  }
}
