/**
 * Test-only stand-in for the cluster layer: keeps every partition's state (PartitionAssignment) in
 * memory, hands the same list to every running broker's ReplicaControl.applyAssignments, and serves
 * AlterPartition as a compare-and-set on the partition epoch (what the controller does through etcd).
 * Brokers are real in-process `startBroker`s on ephemeral ports, each with its own data dir.
 */
import { ErrorCode } from '../../src/protocol/error-codes.ts';
import type { IsrChangeRequest, IsrChangeResult, IsrChangeSink, PartitionAssignment, ReplicaEndpoint } from '../../src/replication/replication-seam.ts';
import { startTestBroker, type TestBroker } from '../helpers/index.ts';

export class ReplicationHarness implements IsrChangeSink {
  readonly brokers = new Map<number, TestBroker>();
  readonly state = new Map<string, PartitionAssignment>();
  readonly racks = new Map<number, string>();
  /** Every AlterPartition seen, accepted or not (tests assert on ISR changes). */
  readonly isrChanges: { request: IsrChangeRequest; ok: boolean }[] = [];
  private readonly baseConfig: Record<string, string>;

  constructor(baseConfig: Record<string, string>) {
    this.baseConfig = baseConfig;
  }

  async start(nodeId: number, opts: { dataDir?: string; config?: Record<string, string> } = {}): Promise<TestBroker> {
    const config: Record<string, string> = { ...this.baseConfig, 'node.id': String(nodeId), ...(opts.config ?? {}) };
    if (config['broker.rack']) this.racks.set(nodeId, config['broker.rack']);
    const b = await startTestBroker({ config, dataDir: opts.dataDir });
    b.broker.replicas.setIsrChangeSink(this);
    this.brokers.set(nodeId, b);
    return b;
  }

  async stop(nodeId: number): Promise<void> {
    const b = this.brokers.get(nodeId);
    this.brokers.delete(nodeId);
    await b?.close();
  }

  broker(nodeId: number): TestBroker {
    const b = this.brokers.get(nodeId);
    if (!b) throw new Error(`broker ${nodeId} is not running`);
    return b;
  }

  endpoints(): Map<number, ReplicaEndpoint> {
    const m = new Map<number, ReplicaEndpoint>();
    for (const [id, b] of this.brokers) m.set(id, { nodeId: id, host: b.host, port: b.port, rack: this.racks.get(id) ?? null });
    return m;
  }

  /** Sets partition states (the controller's writes) and pushes every state to every running broker. */
  async assign(...assignments: PartitionAssignment[]): Promise<void> {
    for (const a of assignments) this.state.set(`${a.topic}-${a.partition}`, a);
    await this.push();
  }

  async push(): Promise<void> {
    const all = [...this.state.values()];
    const endpoints = this.endpoints();
    await Promise.all([...this.brokers.values()].map((b) => b.broker.replicas.applyAssignments(all, endpoints)));
  }

  current(topic: string, partition = 0): PartitionAssignment {
    const a = this.state.get(`${topic}-${partition}`);
    if (!a) throw new Error(`no state for ${topic}-${partition}`);
    return a;
  }

  async alterPartition(request: IsrChangeRequest): Promise<IsrChangeResult> {
    const cur = this.state.get(`${request.topic}-${request.partition}`);
    let result: IsrChangeResult;
    if (!cur) result = { ok: false, error: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
    else if (request.leaderEpoch !== cur.leaderEpoch) result = { ok: false, error: ErrorCode.FENCED_LEADER_EPOCH, current: cur };
    else if (request.partitionEpoch !== cur.partitionEpoch) result = { ok: false, error: ErrorCode.INVALID_UPDATE_VERSION, current: cur };
    else {
      const next = { ...cur, isr: [...request.newIsr], partitionEpoch: cur.partitionEpoch + 1 };
      this.state.set(`${cur.topic}-${cur.partition}`, next);
      result = { ok: true, assignment: next };
    }
    this.isrChanges.push({ request, ok: result.ok });
    return result;
  }
}
