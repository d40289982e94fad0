import { Admin } from '../../../client/admin.ts';
import type { Cluster } from '../../../client/cluster.ts';
import type { Props } from '../../api.ts';
import type { ConfigValueInfo } from '../../config-def.ts';
import { ConfigBackingStore, type ConfigListener, type RestartRequest } from '../../storage/config-backing-store.ts';
import { KafkaOffsetStore } from '../../storage/kafka-offset-store.ts';
import { StatusBackingStore } from '../../storage/status-backing-store.ts';
import { RequestTargetError, type HerderApi } from '../herder-api.ts';
import { Herder, RestError, type ConnectorInfo, type ConnectorStateInfo, type StateInfo, type TargetState } from '../herder.ts';
import { OffsetStore } from '../offset-store.ts';
import { resolveConnectorClass } from '../plugins.ts';
import type { WorkerConfig } from '../worker-config.ts';
import { CONFIG_MISMATCH, PROTOCOL_VERSIONS, type ConnectAssignment, type ConnectProtocolName, type TaskId } from './connect-protocol.ts';
import { CooperativeAssignor } from './cooperative-assignor.ts';
import { LocalWorker, taskKey } from './local-worker.ts';
import type { DistributedConfig } from './distributed-config.ts';
import { WorkerGroupMember, type JoinedMember } from './worker-group-member.ts';
import { DEFAULT_SIGNATURE_ALGORITHM, sign, verify, type RequestSignature } from './request-signature.ts';
import { randomBytes } from 'node:crypto';

/**
 * Kafka's DistributedHerder: the worker's membership of its Connect group, the config/offset/status
 * topics, and the REST operations on top. One loop (Kafka's herder thread) rejoins the group when
 * asked, applies config-topic changes to the connectors and tasks this worker runs, and reports their
 * states. Config changes are the leader's job: a follower's REST layer forwards them there
 * (RequestTargetError); reads are answered from this worker's own copy of the topics.
 */

export interface DistributedHerderOptions {
  worker: WorkerConfig;
  dist: DistributedConfig;
  cluster: Cluster;
  log(line: string): void;
}

const STALE = 'Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)';

export class DistributedHerder implements HerderApi, ConfigListener {
  private readonly opts: DistributedHerderOptions;
  readonly configStore: ConfigBackingStore;
  readonly offsetStore: KafkaOffsetStore;
  readonly statusStore: StatusBackingStore;
  private readonly local: LocalWorker;
  /** This worker's advertised REST URL (what the leader puts in assignments) and host:port (statuses name workers by it). */
  private url = '';
  private id = '';
  private readonly member: WorkerGroupMember;
  private readonly assignor: CooperativeAssignor;
  /** Validation and plugin listing need no state: the standalone herder's code does them. */
  private readonly validator: Herder;
  private loopDone: Promise<void> | null = null;
  private stopping = false;
  private rejoinRequested = true;
  private wakeUp: (() => void) | null = null;
  private delayTimer: NodeJS.Timeout | null = null;
  private readonly changedConnectors = new Set<string>();
  private readonly changedTasks = new Set<string>();
  private readonly restarts: RestartRequest[] = [];
  /** Connectors whose task configs this worker (running the connector) still has to publish. */
  private readonly reconfigure = new Set<string>();
  private knownConnectors = new Set<string>();
  private knownTaskCounts = new Map<string, number>();
  isLeader = false;
  leaderUrl = '';
  generation = -1;
  protocol: ConnectProtocolName | null = null;
  private firstJoin: (() => void) | null = null;
  readonly joined: Promise<void>;

  constructor(opts: DistributedHerderOptions) {
    this.opts = opts;
    const d = opts.dist;
    this.configStore = new ConfigBackingStore(opts.cluster, { topic: d.configTopic, replicationFactor: d.configReplicationFactor, listener: this, log: opts.log });
    this.offsetStore = new KafkaOffsetStore(opts.cluster, { topic: d.offsetTopic, partitions: d.offsetPartitions, replicationFactor: d.offsetReplicationFactor, readCommitted: d.exactlyOnce });
    this.statusStore = new StatusBackingStore(opts.cluster, { topic: d.statusTopic, partitions: d.statusPartitions, replicationFactor: d.statusReplicationFactor });
    this.local = new LocalWorker({ worker: opts.worker, cluster: opts.cluster, config: this.configStore, offsets: this.offsetStore, status: this.statusStore, workerId: () => this.id, exactlyOnce: d.exactlyOnce, groupId: d.groupId, topicTracking: opts.worker.topicTrackingEnable, log: opts.log });
    this.member = new WorkerGroupMember(opts.cluster, { groupId: d.groupId, sessionTimeoutMs: d.sessionTimeoutMs, rebalanceTimeoutMs: d.rebalanceTimeoutMs, heartbeatIntervalMs: d.heartbeatIntervalMs, protocols: d.protocols });
    this.assignor = new CooperativeAssignor(d.scheduledRebalanceMaxDelayMs);
    this.validator = new Herder({ worker: opts.worker, cluster: opts.cluster, offsets: new OffsetStore('/dev/null'), workerId: '', log: opts.log });
    this.joined = new Promise((r) => (this.firstJoin = r));
  }

  get workerId(): string {
    return this.id;
  }

  /** Set once the REST server listens, before start(). */
  setIdentity(url: string, workerId: string): void {
    this.url = url;
    this.id = workerId;
    this.validator.workerId = workerId;
  }

  /** Reads the three topics to their ends, then joins the group in the background. */
  async start(): Promise<void> {
    await this.offsetStore.start();
    await this.statusStore.start();
    await this.configStore.start();
    this.knownConnectors = new Set(this.configStore.connectorConfigs.keys());
    this.loopDone = this.loop();
  }

  async close(): Promise<void> {
    this.stopping = true;
    if (this.delayTimer) clearTimeout(this.delayTimer);
    this.wake();
    await this.loopDone;
    this.member.stopHeartbeats();
    await this.local.stopAll(true).catch(() => undefined);
    await this.member.leave().catch(() => undefined);
    await this.configStore.stop().catch(() => undefined);
    await this.statusStore.stop().catch(() => undefined);
    await this.offsetStore.stop().catch(() => undefined);
  }

  // ---- the herder loop ----

  private wake(): void {
    const w = this.wakeUp;
    this.wakeUp = null;
    w?.();
  }

  private requestRejoin(): void {
    this.rejoinRequested = true;
    this.wake();
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      try {
        if (this.rejoinRequested) {
          this.rejoinRequested = false;
          await this.rebalance();
          this.firstJoin?.();
          this.firstJoin = null;
        }
        await this.rotateSessionKey();
        await this.processChanges();
        await this.local.reportStatuses();
      } catch (e) {
        this.opts.log(`distributed herder: ${(e as Error).message}`);
        if (!this.stopping) await new Promise((r) => setTimeout(r, 500));
      }
      if (this.stopping) break;
      await new Promise<void>((r) => {
        const t = setTimeout(done, 250);
        function done() {
          clearTimeout(t);
          r();
        }
        this.wakeUp = done;
      });
    }
  }

  private async rebalance(): Promise<void> {
    await this.configStore.readToEnd();
    if (this.protocol === 'default') await this.local.stopAll(true);
    const r = await this.member.join(
      () => {
        const owned = this.local.owned();
        const assignment: ConnectAssignment = { version: 1, error: 0, leader: '', leaderUrl: '', configOffset: BigInt(this.configStore.offset), connectors: owned.connectors, tasks: owned.tasks, revokedConnectors: [], revokedTasks: [], delay: 0 };
        return { url: this.url, configOffset: BigInt(this.configStore.offset), assignment };
      },
      (members, protocol) => this.assign(members, protocol),
    );
    this.generation = r.generation;
    this.local.generation = r.generation;
    this.isLeader = r.leader;
    this.protocol = r.protocol;
    const a = r.assignment;
    this.leaderUrl = a.leaderUrl;
    if (a.error === CONFIG_MISMATCH) {
      await this.configStore.readToEnd();
      this.rejoinRequested = true;
      return;
    }
    for (const t of a.revokedTasks) await this.local.stopTask(t, true);
    for (const c of a.revokedConnectors) await this.local.stopConnector(c, true);
    if (a.revokedConnectors.length + a.revokedTasks.length > 0) this.rejoinRequested = true;
    if (BigInt(this.configStore.offset) < a.configOffset) await this.configStore.readToEnd();
    for (const c of a.connectors) {
      await this.local.startConnector(c);
      this.reconfigure.add(c);
    }
    for (const t of a.tasks) await this.local.startTask(t);
    this.knownConnectors = new Set(this.configStore.connectorConfigs.keys());
    this.knownTaskCounts = new Map([...this.configStore.taskConfigs].map(([k, v]) => [k, v.length]));
    if (this.delayTimer) clearTimeout(this.delayTimer);
    this.delayTimer = null;
    if (a.delay > 0) this.delayTimer = setTimeout(() => this.requestRejoin(), a.delay);
    this.member.startHeartbeats(() => this.requestRejoin());
    this.opts.log(`joined group ${this.opts.dist.groupId} generation ${r.generation} as ${r.leader ? 'leader' : 'member'} (${r.protocol}): +${a.connectors.length} connectors +${a.tasks.length} tasks, -${a.revokedConnectors.length} connectors -${a.revokedTasks.length} tasks${a.delay > 0 ? `, lost work reassigned in ${a.delay} ms` : ''}`);
  }

  /** The leader of a sessioned group writes a session key when there is none or it is older than inter.worker.key.ttl.ms. */
  private async rotateSessionKey(): Promise<void> {
    if (!this.isLeader || this.protocol !== 'sessioned') return;
    const ttl = Number(this.opts.worker.props['inter.worker.key.ttl.ms'] ?? '3600000');
    const k = this.configStore.sessionKey;
    if (k && Date.now() - k.created < ttl) return;
    await this.configStore.putSessionKey({ key: randomBytes(32), algorithm: DEFAULT_SIGNATURE_ALGORITHM, created: Date.now() });
  }

  /** The leader's part of the join: everyone's assignment from the config snapshot. */
  private async assign(members: JoinedMember[], protocol: ConnectProtocolName): Promise<Map<string, ConnectAssignment>> {
    await this.configStore.readToEnd();
    const maxOffset = members.reduce((m, x) => (x.state.configOffset > m ? x.state.configOffset : m), 0n);
    const offset = BigInt(this.configStore.offset);
    const version = PROTOCOL_VERSIONS[protocol];
    const base = { version, leader: this.member.memberId, leaderUrl: this.url, configOffset: offset };
    if (maxOffset > offset) {
      // A member has read further than the leader can: Kafka answers CONFIG_MISMATCH and everyone rejoins.
      return new Map(members.map((m) => [m.memberId, { ...base, error: CONFIG_MISMATCH, connectors: [], tasks: [], revokedConnectors: [], revokedTasks: [], delay: 0 }]));
    }
    const result = this.assignor.assign(
      members.map((m) => ({ memberId: m.memberId, connectors: m.state.assignment?.connectors ?? [], tasks: m.state.assignment?.tasks ?? [] })),
      this.configStore.snapshot(),
      protocol === 'default',
    );
    return new Map(members.map((m) => [m.memberId, { ...base, error: 0, ...result.members.get(m.memberId)!, delay: result.delay }]));
  }

  // ---- config topic listener (called from the config consumer; the loop does the work) ----

  onConnectorConfigUpdate(connector: string): void {
    this.changedConnectors.add(connector);
    this.wake();
  }

  onTaskConfigUpdate(connector: string): void {
    this.changedTasks.add(connector);
    this.wake();
  }

  onTargetStateChange(connector: string): void {
    this.changedConnectors.add(connector);
    this.wake();
  }

  onRestartRequest(req: RestartRequest): void {
    this.restarts.push(req);
    this.wake();
  }

  private async processChanges(): Promise<void> {
    const now = new Set(this.configStore.connectorConfigs.keys());
    if (now.size !== this.knownConnectors.size || [...now].some((c) => !this.knownConnectors.has(c))) {
      this.knownConnectors = now;
      this.requestRejoin();
    }
    for (const name of [...this.changedConnectors]) {
      this.changedConnectors.delete(name);
      const config = this.configStore.connectorConfigs.get(name);
      if (!config) {
        for (const t of [...this.local.tasks.values()]) if (t.id.connector === name) await this.local.stopTask(t.id, false);
        await this.local.stopConnector(name, false);
        if (this.isLeader) await this.statusStore.remove(name);
        continue;
      }
      const running = this.local.connectors.get(name);
      if (!running) {
        await this.local.applyTargetState(name);
        continue;
      }
      if (JSON.stringify(running.config) !== JSON.stringify(config)) {
        await this.local.stopConnector(name, false);
        await this.local.startConnector(name);
        this.reconfigure.add(name);
        continue;
      }
      if ((await this.local.applyTargetState(name)) === 'started') this.reconfigure.add(name);
    }
    for (const name of [...this.changedTasks]) {
      this.changedTasks.delete(name);
      const configs = this.configStore.taskConfigs.get(name) ?? [];
      for (const t of [...this.local.tasks.values()]) {
        if (t.id.connector !== name) continue;
        const now = configs[t.id.task];
        if (!now || JSON.stringify(now) !== JSON.stringify(t.config)) await this.local.stopTask(t.id, true);
      }
      this.knownTaskCounts.set(name, configs.length);
      // Stopped tasks and new ones are (re)assigned by the leader: rejoin.
      this.requestRejoin();
    }
    for (const req of this.restarts.splice(0)) await this.applyRestart(req);
    for (const name of [...this.reconfigure]) {
      if (!this.local.connectors.has(name)) {
        this.reconfigure.delete(name);
        continue;
      }
      try {
        await this.publishTaskConfigs(name);
        this.reconfigure.delete(name);
      } catch (e) {
        // The leader may be mid-rebalance: the next tick tries again.
        this.opts.log(`could not publish task configs of ${name} yet: ${(e as Error).message}`);
      }
    }
  }

  /** Kafka's reconfigureConnectorTasksWithRetry: the connector's task configs, written by the leader if they changed. */
  private async publishTaskConfigs(name: string): Promise<void> {
    const configs = this.local.taskConfigsFor(name);
    if (configs === null) return;
    if (this.configStore.targetState(name) === 'STOPPED') return;
    const current = this.configStore.taskConfigs.get(name);
    if (current && JSON.stringify(current) === JSON.stringify(configs)) return;
    if (this.isLeader) return this.configStore.putTaskConfigs(name, configs);
    if (!this.leaderUrl) throw new Error('no leader known');
    const body = JSON.stringify(configs);
    const key = this.configStore.sessionKey;
    if (this.protocol === 'sessioned' && !key) throw new Error('no session key yet');
    const headers = { 'content-type': 'application/json', ...(this.protocol === 'sessioned' && key ? sign(key, body) : {}) };
    const res = await fetch(`${this.leaderUrl.replace(/\/+$/, '')}/connectors/${encodeURIComponent(name)}/tasks?forward=true`, { method: 'POST', headers, body });
    if (res.status >= 300) throw new Error(`leader answered ${res.status}: ${await res.text()}`);
  }

  private async applyRestart(req: RestartRequest): Promise<void> {
    const cs = this.statusStore.connectors.get(req.connector);
    const failed = (s: { state: string } | undefined) => s?.state === 'FAILED';
    if (this.local.connectors.has(req.connector) && (!req.onlyFailed || failed(cs))) {
      await this.local.stopConnector(req.connector, false);
      await this.local.startConnector(req.connector);
      this.reconfigure.add(req.connector);
    }
    if (!req.includeTasks) return;
    for (const t of [...this.local.tasks.values()]) {
      if (t.id.connector !== req.connector) continue;
      if (req.onlyFailed && !failed(this.statusStore.tasks.get(req.connector)?.get(t.id.task))) continue;
      await this.local.stopTask(t.id, false);
      await this.local.startTask(t.id);
    }
  }

  // ---- REST operations ----

  private requireLeader(): void {
    if (this.leaderUrl === '') throw new RestError(409, STALE);
    if (!this.isLeader) throw new RequestTargetError(this.leaderUrl, `This worker is not able to communicate with the leader of the cluster, which is required for dynamically-reconfiguring connectors. If running MirrorMaker 2 in dedicated mode, consider enabling inter-worker communication via the 'dedicated.mode.enable.internal.rest' property.`);
  }

  private cfg(name: string): Props {
    const c = this.configStore.connectorConfigs.get(name);
    if (!c) throw new RestError(404, `Connector ${name} not found`);
    return c;
  }

  private async typeOf(config: Props): Promise<'source' | 'sink'> {
    try {
      return (await resolveConnectorClass(config['connector.class'])).type;
    } catch {
      return 'source';
    }
  }

  connectors(): string[] {
    return [...this.configStore.connectorConfigs.keys()];
  }

  async info(name: string): Promise<ConnectorInfo> {
    const config = this.cfg(name);
    const n = this.configStore.taskConfigs.get(name)?.length ?? 0;
    return { name, config: { ...config }, tasks: Array.from({ length: n }, (_, task) => ({ connector: name, task })), type: await this.typeOf(config) };
  }

  config(name: string): Props {
    return { ...this.cfg(name) };
  }

  taskConfigs(name: string): Array<{ id: { connector: string; task: number }; config: Props }> {
    this.cfg(name);
    return (this.configStore.taskConfigs.get(name) ?? []).map((config, task) => ({ id: { connector: name, task }, config: { ...config } }));
  }

  async status(name: string): Promise<ConnectorStateInfo> {
    const cs = this.statusStore.connectors.get(name);
    const config = this.configStore.connectorConfigs.get(name);
    if (!cs || !config) throw new RestError(404, `No status found for connector ${name}`);
    const st = (s: { state: string; workerId: string; trace: string | null }): StateInfo => (s.trace ? { state: s.state, worker_id: s.workerId, trace: s.trace } : { state: s.state, worker_id: s.workerId });
    const count = this.configStore.taskConfigs.get(name)?.length ?? 0;
    const tasks: Array<StateInfo & { id: number }> = [];
    const ts = this.statusStore.tasks.get(name);
    for (let id = 0; id < count; id++) {
      const s = ts?.get(id);
      if (s) tasks.push({ id, ...st(s) });
    }
    return { name, connector: st(cs), tasks, type: await this.typeOf(config) };
  }

  async taskStatus(name: string, id: number): Promise<StateInfo & { id: number }> {
    const t = this.configStore.connectorConfigs.has(name) ? (await this.status(name).catch(() => null))?.tasks.find((x) => x.id === id) : undefined;
    if (!t) throw new RestError(404, `No status found for task ${name}-${id}`);
    return t;
  }

  activeTopics(name: string): { topics: string[] } {
    this.cfg(name);
    return { topics: [...(this.statusStore.topics.get(name) ?? [])].sort() };
  }

  /** Kafka allows the reset only with topic.tracking.allow.reset (default true). */
  async resetActiveTopics(name: string): Promise<void> {
    this.cfg(name);
    if ((this.opts.worker.props['topic.tracking.allow.reset'] ?? 'true').toLowerCase() === 'false') throw new RestError(403, 'Topic tracking reset is disabled.');
    await this.statusStore.resetTopics(name);
  }

  validate(config: Props): Promise<{ name: string; error_count: number; groups: string[]; configs: ConfigValueInfo[] }> {
    return this.validator.validate(config);
  }

  plugins(connectorsOnly: boolean): Array<{ class: string; type: string; version?: string }> {
    return this.validator.plugins(connectorsOnly);
  }

  async putConnectorConfig(name: string, config: Props, allowReplace: boolean, initial: TargetState = 'STARTED'): Promise<{ created: boolean; info: ConnectorInfo }> {
    const v = await this.validate(config);
    if (v.error_count > 0) {
      const errs = v.configs.filter((c) => c.value.errors.length > 0).map((c) => `Invalid value ${c.value.value} for configuration ${c.value.name}: ${c.value.errors.join(', ')}`);
      throw new RestError(400, `Connector configuration is invalid and contains the following ${v.error_count} error(s):\n${errs.join('\n')}\nYou can also find the above list of errors at the endpoint \`/connector-plugins/{connectorType}/config/validate\``);
    }
    this.requireLeader();
    const existing = this.configStore.connectorConfigs.get(name);
    if (existing && !allowReplace) throw new RestError(409, `Connector ${name} already exists`);
    if (existing) {
      const [a, b] = [await this.typeOf(existing), await this.typeOf(config)];
      if (a !== b) throw new RestError(400, `Connector ${name} is a ${a} connector and cannot be reconfigured as a ${b} connector`);
    }
    // As Kafka, a target-state record precedes the config only for an explicit non-running initial state.
    await this.configStore.putConnectorConfig(name, { ...config }, existing || initial === 'STARTED' ? undefined : initial);
    return { created: !existing, info: await this.info(name) };
  }

  async deleteConnector(name: string): Promise<void> {
    this.requireLeader();
    this.cfg(name);
    await this.configStore.removeConnectorConfig(name);
    await this.statusStore.remove(name);
  }

  async putTaskConfigs(name: string, configs: Props[], signature?: RequestSignature): Promise<void> {
    // With the sessioned protocol every internal request must carry a valid signature (KIP-507).
    if (this.protocol === 'sessioned') verify(signature, this.configStore.sessionKey);
    this.requireLeader();
    this.cfg(name);
    await this.configStore.putTaskConfigs(name, configs);
  }

  async pause(name: string): Promise<void> {
    if (!this.configStore.connectorConfigs.has(name)) throw new RestError(404, `Unknown connector ${name}`);
    await this.configStore.putTargetState(name, 'PAUSED');
  }

  async resume(name: string): Promise<void> {
    if (!this.configStore.connectorConfigs.has(name)) throw new RestError(404, `Unknown connector ${name}`);
    await this.configStore.putTargetState(name, 'STARTED');
  }

  /** KIP-875 stop: no tasks, target STOPPED (the leader writes both). */
  async stop(name: string): Promise<void> {
    this.requireLeader();
    this.cfg(name);
    await this.configStore.putTaskConfigs(name, []);
    await this.configStore.putTargetState(name, 'STOPPED');
  }

  async restart(name: string, includeTasks: boolean, onlyFailed: boolean): Promise<ConnectorStateInfo | null> {
    if (!this.configStore.connectorConfigs.has(name)) throw new RestError(404, includeTasks || onlyFailed ? `Unknown connector: ${name}` : `Connector ${name} not found`);
    this.requireLeader();
    const before = await this.status(name).catch(() => null);
    await this.configStore.putRestartRequest({ connector: name, includeTasks, onlyFailed });
    if (!includeTasks && !onlyFailed) return null;
    if (!before) throw new RestError(404, `Status for connector ${name} not found`);
    const connectorToo = !onlyFailed || before.connector.state === 'FAILED';
    return {
      ...before,
      connector: connectorToo ? { ...before.connector, state: 'RESTARTING' } : before.connector,
      tasks: before.tasks.map((t) => (includeTasks && (!onlyFailed || t.state === 'FAILED') ? { id: t.id, state: 'RESTARTING', worker_id: t.worker_id } : t)),
    };
  }

  /** Restarts a task where it runs: here, or forwarded to its worker (Kafka's NotAssignedException). */
  async restartTask(name: string, id: number): Promise<void> {
    this.cfg(name);
    const count = this.configStore.taskConfigs.get(name)?.length ?? 0;
    if (id < 0 || id >= count) throw new RestError(404, `Task ${name}-${id} not found`);
    const t: TaskId = { connector: name, task: id };
    if (this.local.tasks.has(taskKey(t))) {
      await this.local.stopTask(t, false);
      await this.local.startTask(t);
      return;
    }
    const owner = this.statusStore.tasks.get(name)?.get(id);
    if (!owner || owner.workerId === this.id) throw new RestError(409, STALE);
    throw new RequestTargetError(`http://${owner.workerId}`, `Task ${name}-${id} is not assigned to this worker`);
  }

  // ---- KIP-875 offsets ----

  async offsets(name: string): Promise<{ offsets: Array<{ partition: Record<string, unknown>; offset: Record<string, unknown> | null }> }> {
    const config = this.cfg(name);
    if ((await this.typeOf(config)) === 'source') {
      await this.offsetStore.readToEnd();
      return { offsets: this.offsetStore.entries(name) };
    }
    const d = await new Admin(this.opts.cluster).describeGroup(`connect-${name}`).catch(() => null);
    const parts = (d?.partitions ?? []).filter((p) => p.committed !== null);
    return { offsets: parts.map((p) => ({ partition: { kafka_topic: p.topic, kafka_partition: p.partition }, offset: { kafka_offset: p.committed } })) };
  }

  private modifiable(name: string): Props {
    const config = this.cfg(name);
    if (this.configStore.targetState(name) !== 'STOPPED' || (this.configStore.taskConfigs.get(name)?.length ?? 0) !== 0) {
      throw new RestError(400, `Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/${name}/stop' endpoint`);
    }
    return config;
  }

  async alterOffsets(name: string, body: unknown): Promise<{ message: string }> {
    const list = (body as { offsets?: unknown } | null)?.offsets;
    if (!Array.isArray(list) || list.length === 0) throw new RestError(400, 'Partitions / offsets need to be provided for an alter offsets request');
    this.requireLeader();
    const config = this.modifiable(name);
    if ((await this.typeOf(config)) === 'source') {
      for (const item of list as Array<{ partition?: unknown; offset?: unknown }>) {
        if (!item.partition || typeof item.partition !== 'object') throw new RestError(400, 'Source partitions may not be null');
        if (item.offset !== null && typeof item.offset !== 'object') throw new RestError(400, 'Source offsets must be objects or null');
      }
      for (const item of list as Array<{ partition: Record<string, unknown>; offset: Record<string, unknown> | null }>) this.offsetStore.set(name, item.partition, item.offset);
      await this.offsetStore.save();
      return { message: 'The offsets for this connector have been altered successfully' };
    }
    const plan: Array<{ topic: string; partition: number; current: null; target: number }> = [];
    for (const item of list as Array<{ partition?: Record<string, unknown>; offset?: Record<string, unknown> | null }>) {
      const topic = item.partition?.kafka_topic;
      const partition = item.partition?.kafka_partition;
      const off = item.offset?.kafka_offset;
      if (typeof topic !== 'string') throw new RestError(400, "Kafka partitions must contain a 'kafka_topic' key with a string value");
      if (typeof partition !== 'number' || !Number.isInteger(partition)) throw new RestError(400, "Kafka partitions must contain a 'kafka_partition' key with an integer value");
      if (typeof off !== 'number' || !Number.isInteger(off) || off < 0) throw new RestError(400, "Kafka offsets must contain a 'kafka_offset' key with a non-negative integer value");
      plan.push({ topic, partition, current: null, target: off });
    }
    await new Admin(this.opts.cluster).executeReset(`connect-${name}`, plan, 'Empty');
    return { message: 'The offsets for this connector have been altered successfully' };
  }

  async resetOffsets(name: string): Promise<{ message: string }> {
    this.requireLeader();
    const config = this.modifiable(name);
    if ((await this.typeOf(config)) === 'source') {
      await this.offsetStore.readToEnd();
      this.offsetStore.clear(name);
      await this.offsetStore.save();
    } else {
      const admin = new Admin(this.opts.cluster);
      if ((await admin.listGroups()).some((g) => g.groupId === `connect-${name}`)) await admin.deleteGroups([`connect-${name}`]);
    }
    return { message: 'The offsets for this connector have been reset successfully' };
  }
}
