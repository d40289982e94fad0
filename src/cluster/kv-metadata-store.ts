/**
 * `MetadataStore` over the etcd data model (`KvBackend`). Key layout under `/kstream/<cluster>/`:
 *
 *   brokers/<nodeId>                 BrokerRegistration JSON, attached to the broker's lease
 *   controller                       {"nodeId":N}, attached to the controller's lease
 *   topics/<name>                    TopicRecord JSON
 *   partitions/<topic>/<partition>   PartitionState JSON
 *   latest-producer-id-block         the last producer-id block handed out (ZooKeeper-mode Kafka's
 *                                    /latest_producer_id_block: version, broker, block_start, block_end)
 *   acls/<resourceType>/<patternType>/<name>/<principal>/<host>/<operation>/<permissionType>
 *                                    AclRecord JSON; the key alone names the ACL (parts URI-encoded),
 *                                    so an ACL is stored once and a delete event still says which
 *   scram/<user>/<mechanism>         {"credential":"salt=…,stored_key=…,server_key=…,iterations=…"}
 *   client-quotas/<entity>/<key>     {"value":1024}; <entity> is `type=name` parts sorted by type and
 *                                    joined by `,` (names URI-encoded; a bare `type` is its default),
 *                                    e.g. client-quotas/client-id,user=alice/producer_byte_rate
 *
 * Broker epoch and controller epoch are the create revisions of their keys (monotonic, assigned by
 * the store, never reused). A partition write compares the key's mod revision read together with the
 * expected partition epoch, so two writers can never both move a partition from the same epoch.
 */
import type { AclRecord, ClientQuotaRecord, ScramRecord } from '../protocol/metadata-records.ts';
import type { Compare, KeyValue, KvBackend, TxnOp, WatchEvent } from './kv-backend.ts';
import {
  type AclEvent,
  type ClientQuotaEvent,
  type KeyspaceEvent,
  type ScramEvent,
  DuplicateBrokerRegistrationError,
  LeaderRecoveryState,
  MetadataStoreError,
  type AddPartitionsResult,
  type AlterPartitionResult,
  type BrokerRegistration,
  type ListenerEndpoint,
  type CampaignResult,
  type ControllerInfo,
  type Lease,
  type MetadataEvent,
  type MetadataSnapshot,
  type MetadataStore,
  type MetadataWatch,
  type PartitionChange,
  type PartitionState,
  type ProducerIdBlock,
  type RegisteredBroker,
  type TopicRecord,
} from './metadata-store.ts';

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

export class KvMetadataStore implements MetadataStore {
  private readonly kv: KvBackend;
  private readonly root: string;

  constructor(kv: KvBackend, clusterName = 'default') {
    if (!/^[a-zA-Z0-9._-]+$/.test(clusterName)) throw new MetadataStoreError(`bad cluster name "${clusterName}" (letters, digits, . _ - only)`);
    this.kv = kv;
    this.root = `/kstream/${clusterName}/`;
  }

  private brokerKey = (id: number): string => `${this.root}brokers/${id}`;
  private topicKey = (name: string): string => `${this.root}topics/${name}`;
  private partitionKey = (topic: string, p: number): string => `${this.root}partitions/${topic}/${p}`;
  private get controllerKey(): string {
    return `${this.root}controller`;
  }

  // ---- ACLs (Kafka keeps them as AccessControlEntryRecords in the cluster metadata) ----

  private get aclPrefix(): string {
    return `${this.root}acls/`;
  }

  private aclKey(a: AclRecord): string {
    validateAcl(a, 'ACL');
    const e = encodeURIComponent;
    return `${this.aclPrefix}${[a.resourceType, a.patternType, e(a.resourceName), e(a.principal), e(a.host), a.operation, a.permissionType].join('/')}`;
  }

  async listAcls(): Promise<{ acls: AclRecord[]; revision: number }> {
    const { records, revision } = await this.listDecoded(this.aclPrefix, decodeAcl);
    return { acls: records, revision };
  }

  async alterAcls(changes: { add?: readonly AclRecord[]; remove?: readonly AclRecord[] }): Promise<void> {
    const ops: TxnOp[] = [];
    for (const a of changes.remove ?? []) ops.push({ op: 'delete', key: this.aclKey(a) });
    for (const a of changes.add ?? []) ops.push({ op: 'put', key: this.aclKey(a), value: JSON.stringify(a) });
    if (ops.length > 0) await this.kv.txn([], ops);
  }

  watchAcls(fromRevision: number, onEvents: (events: AclEvent[]) => void, onError: (err: Error) => void): Promise<MetadataWatch> {
    const decode = (e: WatchEvent): AclRecord => (e.type === 'put' ? decodeAcl(e.kv) : aclFromKey(e.kv.key.slice(this.aclPrefix.length), e.kv.key));
    return this.watchDecoded(this.aclPrefix, fromRevision, decode, onEvents, onError);
  }

  // ---- SCRAM credentials (Kafka's UserScramCredentialRecords) ----

  private get scramPrefix(): string {
    return `${this.root}scram/`;
  }

  private scramKey(user: string, mechanism: string): string {
    if (!/^SCRAM-SHA-(256|512)$/.test(mechanism)) bad(`scram/${user}`, `unknown SCRAM mechanism ${mechanism}`);
    return `${this.scramPrefix}${encodeURIComponent(user)}/${mechanism}`;
  }

  private scramFromKv(kv: KeyValue, withValue: boolean): ScramRecord {
    const parts = kv.key.slice(this.scramPrefix.length).split('/');
    if (parts.length !== 2) bad(kv.key, 'not a SCRAM key (scram/<user>/<mechanism>)');
    let credential = '';
    if (withValue) {
      const o = parse(kv);
      if (typeof o.credential !== 'string') bad(kv.key, 'SCRAM record needs a string credential');
      credential = o.credential as string;
    }
    return { user: decodeURIComponent(parts[0]!), mechanism: parts[1]!, credential };
  }

  listScramCredentials(): Promise<{ records: ScramRecord[]; revision: number }> {
    return this.listDecoded(this.scramPrefix, (kv) => this.scramFromKv(kv, true));
  }

  async alterScramCredentials(changes: { upsert?: readonly ScramRecord[]; delete?: readonly { user: string; mechanism: string }[] }): Promise<void> {
    const ops: TxnOp[] = [];
    for (const d of changes.delete ?? []) ops.push({ op: 'delete', key: this.scramKey(d.user, d.mechanism) });
    for (const u of changes.upsert ?? []) ops.push({ op: 'put', key: this.scramKey(u.user, u.mechanism), value: JSON.stringify({ credential: u.credential }) });
    if (ops.length > 0) await this.kv.txn([], ops);
  }

  watchScramCredentials(fromRevision: number, onEvents: (events: ScramEvent[]) => void, onError: (err: Error) => void): Promise<MetadataWatch> {
    return this.watchDecoded(this.scramPrefix, fromRevision, (e) => this.scramFromKv(e.kv, e.type === 'put'), onEvents, onError);
  }

  // ---- client quotas (Kafka's ClientQuotaRecords: one per entity and key) ----

  private get quotaPrefix(): string {
    return `${this.root}client-quotas/`;
  }

  private quotaKey(entity: Readonly<Record<string, string | null>>, key: string): string {
    const types = Object.keys(entity).sort();
    const where = `client-quotas/${key}`;
    if (types.length === 0) bad(where, 'a client quota entity needs at least one entity type');
    for (const t of types) if (!/^[a-z-]+$/.test(t)) bad(where, `bad entity type "${t}"`);
    if (!/^[a-z_]+$/.test(key)) bad(where, `bad quota key "${key}"`);
    const parts = types.map((t) => (entity[t] === null ? t : `${t}=${encodeURIComponent(entity[t]!)}`));
    return `${this.quotaPrefix}${parts.join(',')}/${key}`;
  }

  private quotaFromKv(kv: KeyValue, withValue: boolean): ClientQuotaRecord {
    const segments = kv.key.slice(this.quotaPrefix.length).split('/');
    if (segments.length !== 2 || segments[0] === '') bad(kv.key, 'not a client quota key (client-quotas/<entity>/<key>)');
    const entity: Record<string, string | null> = {};
    for (const part of segments[0]!.split(',')) {
      const eq = part.indexOf('=');
      entity[eq < 0 ? part : part.slice(0, eq)] = eq < 0 ? null : decodeURIComponent(part.slice(eq + 1));
    }
    let value = 0;
    if (withValue) {
      const o = parse(kv);
      if (typeof o.value !== 'number' || !Number.isFinite(o.value)) bad(kv.key, 'client quota needs a finite number value');
      value = o.value as number;
    }
    return { entity, key: segments[1]!, value };
  }

  listClientQuotas(): Promise<{ records: ClientQuotaRecord[]; revision: number }> {
    return this.listDecoded(this.quotaPrefix, (kv) => this.quotaFromKv(kv, true));
  }

  async alterClientQuotas(changes: readonly { entity: Readonly<Record<string, string | null>>; key: string; value: number | null }[]): Promise<void> {
    const ops: TxnOp[] = changes.map((c) =>
      c.value === null ? { op: 'delete', key: this.quotaKey(c.entity, c.key) } : { op: 'put', key: this.quotaKey(c.entity, c.key), value: JSON.stringify({ value: c.value }) },
    );
    if (ops.length > 0) await this.kv.txn([], ops);
  }

  watchClientQuotas(fromRevision: number, onEvents: (events: ClientQuotaEvent[]) => void, onError: (err: Error) => void): Promise<MetadataWatch> {
    return this.watchDecoded(this.quotaPrefix, fromRevision, (e) => this.quotaFromKv(e.kv, e.type === 'put'), onEvents, onError);
  }

  // ---- keyspaces read whole and watched (ACLs, SCRAM credentials, client quotas) ----

  /** Every record under `prefix`, decoded, and the revision the read was served at. */
  private async listDecoded<R>(prefix: string, decode: (kv: KeyValue) => R): Promise<{ records: R[]; revision: number }> {
    const { kvs, revision } = await this.kv.range(prefix);
    return { records: kvs.map(decode), revision };
  }

  /** Watches a keyspace: each event becomes a KeyspaceEvent of the record `decode` makes of it. */
  private watchDecoded<R>(
    prefix: string,
    fromRevision: number,
    decode: (e: WatchEvent) => R,
    onEvents: (events: KeyspaceEvent<R>[]) => void,
    onError: (err: Error) => void,
  ): Promise<MetadataWatch> {
    return this.watchBatches(prefix, fromRevision, (e) => ({ type: e.type, record: decode(e), revision: e.kv.modRevision }), onEvents, onError);
  }

  /**
   * Watches `prefix`, decoding each batch (one transaction's events) whole before delivering it
   * (`decode` → null: a key to ignore). A key that does not decode breaks the watch (`onError`,
   * nothing of that batch or later delivered): the watcher lists again, and the listing names the key.
   */
  private async watchBatches<T>(
    prefix: string,
    fromRevision: number,
    decode: (e: WatchEvent) => T | null,
    onBatch: (items: T[]) => void,
    onError: (err: Error) => void,
  ): Promise<MetadataWatch> {
    let broken = false;
    const w = await this.kv.watch(
      prefix,
      fromRevision,
      (events) => {
        if (broken) return;
        const decoded: T[] = [];
        try {
          for (const e of events) {
            const item = decode(e);
            if (item !== null) decoded.push(item);
          }
        } catch (err) {
          broken = true;
          w.close();
          onError(err instanceof Error ? err : new Error(String(err)));
          return;
        }
        onBatch(decoded);
      },
      onError,
    );
    return w;
  }

  async grantLease(ttlMs: number): Promise<Lease> {
    const id = await this.kv.grantLease(ttlMs);
    const kv = this.kv;
    return {
      id,
      ttlMs,
      keepAlive: async () => (await kv.keepAlive(id)) > 0,
      revoke: () => kv.revokeLease(id),
    };
  }

  async registerBroker(reg: BrokerRegistration, lease: Lease): Promise<RegisteredBroker> {
    validateRegistration(reg);
    const key = this.brokerKey(reg.nodeId);
    for (;;) {
      const created = await this.kv.txn([{ key, target: 'create', equals: 0 }], [{ op: 'put', key, value: JSON.stringify(reg), lease: lease.id }]);
      if (created.succeeded) return { ...reg, brokerEpoch: created.revision };
      // Taken: ours (update it) or another incarnation's (DuplicateBrokerRegistrationError). When that
      // one's lease ran out between the create and the read, the key is gone again: create once more.
      const updated = await this.replaceRegistration(reg, lease);
      if (updated) return updated;
    }
  }

  async updateBroker(reg: BrokerRegistration, lease: Lease): Promise<RegisteredBroker> {
    validateRegistration(reg);
    const updated = await this.replaceRegistration(reg, lease);
    if (!updated) throw new MetadataStoreError(`broker ${reg.nodeId} is not registered (its lease ended?)`);
    return updated;
  }

  /** Rewrites this lease's registration of the node; undefined when no registration exists. */
  private async replaceRegistration(reg: BrokerRegistration, lease: Lease): Promise<RegisteredBroker | undefined> {
    const key = this.brokerKey(reg.nodeId);
    for (;;) {
      const { kv } = await this.kv.get(key);
      if (!kv) return undefined;
      if (kv.lease !== lease.id) {
        throw new DuplicateBrokerRegistrationError(
          `node id ${reg.nodeId} is already registered by another live broker (${decodeBroker(kv).host}:${decodeBroker(kv).port}); wait for its lease to expire or pick another node.id`,
        );
      }
      const res = await this.kv.txn([{ key, target: 'mod', equals: kv.modRevision }], [{ op: 'put', key, value: JSON.stringify(reg), lease: lease.id }]);
      if (res.succeeded) return { ...reg, brokerEpoch: kv.createRevision };
    }
  }

  async unregisterBroker(nodeId: number, lease: Lease): Promise<void> {
    const key = this.brokerKey(nodeId);
    const { kv } = await this.kv.get(key);
    if (!kv || kv.lease !== lease.id) return;
    await this.kv.txn([{ key, target: 'mod', equals: kv.modRevision }], [{ op: 'delete', key }]);
  }

  async ensureClusterId(candidate: string): Promise<string> {
    const key = `${this.root}cluster-id`;
    await this.kv.txn([{ key, target: 'create', equals: 0 }], [{ op: 'put', key, value: JSON.stringify({ clusterId: candidate }) }]);
    const { kv } = await this.kv.get(key);
    const o = kv ? parse(kv) : {};
    if (typeof o.clusterId !== 'string') throw new MetadataStoreError(`${key}: malformed cluster id`);
    return o.clusterId;
  }

  private get producerIdBlockKey(): string {
    return `${this.root}latest-producer-id-block`;
  }

  async allocateProducerIdBlock(brokerId: number, blockSize: number): Promise<ProducerIdBlock> {
    if (!isInt(blockSize) || blockSize < 1) throw new MetadataStoreError(`producer id block size must be a positive integer, got ${blockSize}`);
    const key = this.producerIdBlockKey;
    for (;;) {
      const { kv } = await this.kv.get(key);
      // Kafka's ZkProducerIdManager.getNewProducerIdBlock: the block after the latest, or 0 first.
      const first = kv ? decodeProducerIdBlock(kv).firstProducerId + BigInt(decodeProducerIdBlock(kv).size) : 0n;
      if (first > MAX_PRODUCER_ID - BigInt(blockSize)) throw new MetadataStoreError('the cluster has exhausted all producer ids');
      const block: ProducerIdBlock = { assignedBrokerId: brokerId, firstProducerId: first, size: blockSize };
      const res = await this.kv.txn([{ key, target: 'mod', equals: kv ? kv.modRevision : 0 }], [{ op: 'put', key, value: encodeProducerIdBlock(block) }]);
      if (res.succeeded) return block;
      // Another broker took a block between our read and write: read its block and go after it.
    }
  }

  async latestProducerIdBlock(): Promise<ProducerIdBlock | null> {
    const { kv } = await this.kv.get(this.producerIdBlockKey);
    return kv ? decodeProducerIdBlock(kv) : null;
  }

  async createTopic(topic: TopicRecord, partitions: PartitionState[]): Promise<boolean> {
    if (!TOPIC_NAME.test(topic.name)) throw new MetadataStoreError(`bad topic name "${topic.name}": up to 249 of [a-zA-Z0-9._-]`);
    if (partitions.length !== topic.partitionCount || partitions.length === 0) {
      throw new MetadataStoreError(`topic ${topic.name}: ${partitions.length} partition states for partitionCount ${topic.partitionCount}`);
    }
    partitions.forEach((p, i) => validatePartition(p, `${topic.name}-${i}`));
    const key = this.topicKey(topic.name);
    const ops: TxnOp[] = [{ op: 'put', key, value: JSON.stringify(topic) }];
    partitions.forEach((p, i) => ops.push({ op: 'put', key: this.partitionKey(topic.name, i), value: JSON.stringify(p) }));
    const res = await this.kv.txn([{ key, target: 'create', equals: 0 }], ops);
    return res.succeeded;
  }

  async addPartitions(topic: string, expectedPartitionCount: number, partitions: PartitionState[]): Promise<AddPartitionsResult> {
    if (partitions.length === 0) throw new MetadataStoreError(`topic ${topic}: no partitions to add`);
    partitions.forEach((p, i) => validatePartition(p, `${topic}-${expectedPartitionCount + i}`));
    const key = this.topicKey(topic);
    const { kv } = await this.kv.get(key);
    if (!kv) return { ok: false, reason: 'unknown-topic' };
    const current = decodeTopic(kv);
    if (current.partitionCount !== expectedPartitionCount) return { ok: false, reason: 'stale-partition-count', current };
    const next: TopicRecord = { ...current, partitionCount: expectedPartitionCount + partitions.length };
    const compares: Compare[] = [{ key, target: 'mod', equals: kv.modRevision }];
    const ops: TxnOp[] = [{ op: 'put', key, value: JSON.stringify(next) }];
    partitions.forEach((p, i) => {
      const pkey = this.partitionKey(topic, expectedPartitionCount + i);
      // No leftover partition key may be overwritten (it would carry another partition epoch line).
      compares.push({ key: pkey, target: 'create', equals: 0 });
      ops.push({ op: 'put', key: pkey, value: JSON.stringify(p) });
    });
    const res = await this.kv.txn(compares, ops);
    if (res.succeeded) return { ok: true, topic: next };
    const again = await this.kv.get(key);
    if (!again.kv) return { ok: false, reason: 'unknown-topic' };
    return { ok: false, reason: 'stale-partition-count', current: decodeTopic(again.kv) };
  }

  async deleteTopic(name: string): Promise<boolean> {
    const key = this.topicKey(name);
    const { kv } = await this.kv.get(key);
    if (!kv) return false;
    const res = await this.kv.txn(
      [{ key, target: 'mod', equals: kv.modRevision }],
      [{ op: 'delete', key }, { op: 'delete-prefix', prefix: `${this.root}partitions/${name}/` }],
    );
    return res.succeeded;
  }

  async alterPartition(
    topic: string,
    partition: number,
    expectedPartitionEpoch: number,
    change: PartitionChange,
    fence?: { controllerEpoch: number },
  ): Promise<AlterPartitionResult> {
    const key = this.partitionKey(topic, partition);
    for (;;) {
      const { kv } = await this.kv.get(key);
      if (!kv) return { ok: false, reason: 'unknown-partition' };
      const current = { topic, partition, ...decodePartition(kv) };
      if (current.partitionEpoch !== expectedPartitionEpoch) return { ok: false, reason: 'stale-partition-epoch', current };
      const next: PartitionState = { ...change, partitionEpoch: expectedPartitionEpoch + 1 };
      validatePartition(next, `${topic}-${partition}`);
      const compares: Compare[] = [{ key, target: 'mod', equals: kv.modRevision }];
      if (fence) compares.push({ key: this.controllerKey, target: 'create', equals: fence.controllerEpoch });
      const res = await this.kv.txn(compares, [{ op: 'put', key, value: JSON.stringify(next) }]);
      if (res.succeeded) return { ok: true, state: { topic, partition, ...next } };
      if (fence) {
        const ctl = await this.kv.get(this.controllerKey);
        if (!ctl.kv || ctl.kv.createRevision !== fence.controllerEpoch) return { ok: false, reason: 'not-controller' };
      }
      // The partition moved between our read and write: re-read and let the epoch check decide.
    }
  }

  async campaign(nodeId: number, lease: Lease): Promise<CampaignResult> {
    const key = this.controllerKey;
    await this.kv.txn([{ key, target: 'create', equals: 0 }], [{ op: 'put', key, value: JSON.stringify({ nodeId }), lease: lease.id }]);
    const { kv } = await this.kv.get(key);
    const controller = kv ? decodeController(kv) : null;
    return { elected: kv !== null && kv.lease === lease.id && controller?.nodeId === nodeId, controller };
  }

  async resign(nodeId: number, lease: Lease): Promise<void> {
    const key = this.controllerKey;
    const { kv } = await this.kv.get(key);
    if (!kv || kv.lease !== lease.id || decodeController(kv).nodeId !== nodeId) return;
    await this.kv.txn([{ key, target: 'create', equals: kv.createRevision }], [{ op: 'delete', key }]);
  }

  async snapshot(): Promise<MetadataSnapshot> {
    const { kvs, revision } = await this.kv.range(this.root);
    const snap: MetadataSnapshot = { revision, brokers: [], topics: [], partitions: [], controller: null };
    for (const kv of kvs) {
      const ev = this.toEvent({ type: 'put', kv });
      if (!ev) continue;
      if (ev.type === 'broker-registered') snap.brokers.push(ev.broker);
      else if (ev.type === 'topic-created') snap.topics.push(ev.topic);
      else if (ev.type === 'partition-changed') snap.partitions.push(ev.partition);
      else if (ev.type === 'controller-changed') snap.controller = ev.controller;
    }
    snap.brokers.sort((a, b) => a.nodeId - b.nodeId);
    snap.partitions.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
    return snap;
  }

  watch(fromRevision: number, onEvent: (event: MetadataEvent) => void, onError: (err: Error) => void): Promise<MetadataWatch> {
    return this.watchBatches(this.root, fromRevision, (e) => this.toEvent(e), (events) => {
      for (const ev of events) onEvent(ev);
    }, onError);
  }

  async close(): Promise<void> {
    await this.kv.close();
  }

  /** Maps a raw key change to a typed event; null for keys outside the layout (ignored). */
  private toEvent(e: WatchEvent): MetadataEvent | null {
    const rel = e.kv.key.slice(this.root.length);
    const revision = e.kv.modRevision;
    const parts = rel.split('/');
    if (rel === 'controller') {
      return { type: 'controller-changed', revision, controller: e.type === 'put' ? decodeController(e.kv) : null };
    }
    if (parts[0] === 'brokers' && parts.length === 2) {
      const nodeId = Number(parts[1]);
      return e.type === 'put'
        ? { type: 'broker-registered', revision, broker: { ...decodeBroker(e.kv), brokerEpoch: e.kv.createRevision } }
        : { type: 'broker-unregistered', revision, nodeId };
    }
    if (parts[0] === 'topics' && parts.length === 2) {
      return e.type === 'put' ? { type: 'topic-created', revision, topic: decodeTopic(e.kv) } : { type: 'topic-deleted', revision, name: parts[1]! };
    }
    if (parts[0] === 'partitions' && parts.length === 3) {
      const topic = parts[1]!;
      const partition = Number(parts[2]);
      return e.type === 'put'
        ? { type: 'partition-changed', revision, partition: { topic, partition, ...decodePartition(e.kv) } }
        : { type: 'partition-deleted', revision, topic, partition };
    }
    return null;
  }
}

// ---- value codecs: everything read from the store is checked, so a bad value names its key ----

function parse(kv: KeyValue): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(kv.value);
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    /* fall through */
  }
  throw new MetadataStoreError(`metadata key ${kv.key} does not hold a JSON object: ${kv.value.slice(0, 100)}`);
}

const ACL_FIELDS = ['resourceType', 'resourceName', 'patternType', 'principal', 'host', 'operation', 'permissionType'] as const;

function validateAcl(a: AclRecord, where: string): void {
  for (const f of ACL_FIELDS) if (typeof a[f] !== 'string') bad(where, `ACL needs a string ${f}`);
  // The enum names are path segments of the key: plain upper-case words only.
  for (const f of ['resourceType', 'patternType', 'operation', 'permissionType'] as const) if (!/^[A-Z_]+$/.test(a[f])) bad(where, `ACL ${f} "${a[f]}" is not an enum name`);
}

function decodeAcl(kv: KeyValue): AclRecord {
  const o = parse(kv);
  const a = Object.fromEntries(ACL_FIELDS.map((f) => [f, o[f]])) as unknown as AclRecord;
  validateAcl(a, kv.key);
  return a;
}

function aclFromKey(rel: string, key: string): AclRecord {
  const parts = rel.split('/');
  if (parts.length !== 7) bad(key, 'not an ACL key (acls/<type>/<pattern>/<name>/<principal>/<host>/<operation>/<permission>)');
  const d = decodeURIComponent;
  const a: AclRecord = { resourceType: parts[0]!, patternType: parts[1]!, resourceName: d(parts[2]!), principal: d(parts[3]!), host: d(parts[4]!), operation: parts[5]!, permissionType: parts[6]! };
  validateAcl(a, key);
  return a;
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isIntArray = (v: unknown): v is number[] => Array.isArray(v) && v.every(isInt);

function bad(key: string, what: string): never {
  throw new MetadataStoreError(`metadata key ${key}: ${what}`);
}

function decodeBroker(kv: KeyValue): BrokerRegistration {
  const o = parse(kv);
  if (!isInt(o.nodeId) || typeof o.host !== 'string' || !isInt(o.port)) bad(kv.key, 'broker registration needs nodeId, host, port');
  return {
    nodeId: o.nodeId,
    host: o.host,
    port: o.port,
    ...(Array.isArray(o.endpoints) ? { endpoints: decodeEndpoints(o.endpoints) } : {}),
    rack: typeof o.rack === 'string' ? o.rack : null,
    incarnationId: typeof o.incarnationId === 'string' ? o.incarnationId : '',
    inControlledShutdown: o.inControlledShutdown === true,
  };
}

function decodeEndpoints(list: unknown[]): ListenerEndpoint[] {
  const out: ListenerEndpoint[] = [];
  for (const e of list) {
    if (!e || typeof e !== 'object') continue;
    const { listener, host, port } = e as Record<string, unknown>;
    if (typeof listener === 'string' && typeof host === 'string' && isInt(port)) out.push({ listener, host, port });
  }
  return out;
}

function decodeTopic(kv: KeyValue): TopicRecord {
  const o = parse(kv);
  if (typeof o.name !== 'string' || typeof o.topicId !== 'string' || !isInt(o.partitionCount)) bad(kv.key, 'topic needs name, topicId, partitionCount');
  const configs: Record<string, string> = {};
  if (o.configs && typeof o.configs === 'object') {
    for (const [k, v] of Object.entries(o.configs as Record<string, unknown>)) if (typeof v === 'string') configs[k] = v;
  }
  return { name: o.name, topicId: o.topicId, partitionCount: o.partitionCount, configs };
}

function decodePartition(kv: KeyValue): PartitionState {
  const o = parse(kv);
  if (!isIntArray(o.replicas) || !isIntArray(o.isr) || !isInt(o.leader) || !isInt(o.leaderEpoch) || !isInt(o.partitionEpoch)) {
    bad(kv.key, 'partition state needs replicas, isr, leader, leaderEpoch, partitionEpoch');
  }
  return {
    replicas: o.replicas,
    isr: o.isr,
    leader: o.leader,
    leaderEpoch: o.leaderEpoch,
    partitionEpoch: o.partitionEpoch,
    leaderRecoveryState: o.leaderRecoveryState === LeaderRecoveryState.RECOVERING ? LeaderRecoveryState.RECOVERING : LeaderRecoveryState.RECOVERED,
    ...(isIntArray(o.targetReplicas) ? { targetReplicas: o.targetReplicas } : {}),
  };
}

/** Producer ids are int64; Kafka refuses a block that would pass Long.MaxValue. */
const MAX_PRODUCER_ID = 0x7fffffffffffffffn;

function encodeProducerIdBlock(b: ProducerIdBlock): string {
  const end = b.firstProducerId + BigInt(b.size) - 1n;
  // Kafka's ProducerIdBlockZNode layout (ids as strings: JSON numbers lose int64 precision here).
  return JSON.stringify({ version: 1, broker: b.assignedBrokerId, block_start: b.firstProducerId.toString(), block_end: end.toString() });
}

function decodeProducerIdBlock(kv: KeyValue): ProducerIdBlock {
  const o = parse(kv);
  const id = (v: unknown): bigint | null => (typeof v === 'string' && /^\d{1,19}$/.test(v) ? BigInt(v) : isInt(v) && v >= 0 ? BigInt(v) : null);
  const start = id(o.block_start);
  const end = id(o.block_end);
  if (o.version !== 1 || !isInt(o.broker) || start === null || end === null || end < start) bad(kv.key, 'producer id block needs version 1, broker, block_start <= block_end');
  return { assignedBrokerId: o.broker, firstProducerId: start, size: Number(end - start + 1n) };
}

function decodeController(kv: KeyValue): ControllerInfo {
  const o = parse(kv);
  if (!isInt(o.nodeId)) bad(kv.key, 'controller needs nodeId');
  return { nodeId: o.nodeId, controllerEpoch: kv.createRevision };
}

function validateRegistration(reg: BrokerRegistration): void {
  if (!isInt(reg.nodeId) || reg.nodeId < 0) throw new MetadataStoreError(`node id must be a non-negative integer, got ${reg.nodeId}`);
  if (!isInt(reg.port) || reg.port <= 0 || reg.port > 65535) throw new MetadataStoreError(`broker ${reg.nodeId}: bad port ${reg.port}`);
  for (const e of reg.endpoints ?? []) {
    if (!isInt(e.port) || e.port <= 0 || e.port > 65535) throw new MetadataStoreError(`broker ${reg.nodeId}: listener ${e.listener}: bad port ${e.port}`);
  }
}

function validatePartition(p: PartitionState, name: string): void {
  if (p.replicas.length === 0 || new Set(p.replicas).size !== p.replicas.length) throw new MetadataStoreError(`${name}: replicas must be distinct and non-empty, got [${p.replicas}]`);
  if (!p.isr.every((r) => p.replicas.includes(r))) throw new MetadataStoreError(`${name}: ISR [${p.isr}] not within replicas [${p.replicas}]`);
  if (p.leader !== -1 && !p.replicas.includes(p.leader)) throw new MetadataStoreError(`${name}: leader ${p.leader} is not a replica`);
}
