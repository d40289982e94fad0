import { ErrorCode } from '../protocol/error-codes.ts';
import { MetadataApi, type MetadataResponse } from '../protocol/messages/metadata.ts';
import { BrokerConnection } from './broker-connection.ts';
import { ConnectionError, KafkaError } from './errors.ts';
import { PLAINTEXT, type ClientSecurity } from './security.ts';

/**
 * The client's view of a cluster: bootstrap addresses, the brokers and topic layout from Metadata,
 * and one connection per broker node. Everything above (producer, consumer, admin) asks it for the
 * leader of a partition and a connection to a node, and calls refresh after errors that mean the
 * layout changed (NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE …).
 */

export interface BrokerAddress {
  host: string;
  port: number;
}

export interface ClusterOptions {
  bootstrap: BrokerAddress[];
  clientId?: string;
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** TLS/SASL for every connection (PLAINTEXT when absent). */
  security?: ClientSecurity;
}

export interface PartitionInfo {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  errorCode: number;
}

/** One topic as a Metadata response describes it (the broker's stored topic is storage's TopicInfo). */
export interface TopicMetadata {
  name: string;
  topicId: string;
  isInternal: boolean;
  errorCode: number;
  partitions: PartitionInfo[];
}

export interface BrokerInfo extends BrokerAddress {
  nodeId: number;
  rack: string | null;
}

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

export class Cluster {
  readonly options: Required<Omit<ClusterOptions, 'bootstrap'>> & { bootstrap: BrokerAddress[] };
  brokers = new Map<number, BrokerInfo>();
  topics = new Map<string, TopicMetadata>();
  controllerId = -1;
  clusterId: string | null = null;
  private readonly connections = new Map<number, Promise<BrokerConnection>>();
  private bootstrapConn: Promise<BrokerConnection> | null = null;
  private closing = false;

  constructor(opts: ClusterOptions) {
    if (opts.bootstrap.length === 0) throw new Error('no bootstrap brokers given');
    this.options = {
      bootstrap: opts.bootstrap,
      clientId: opts.clientId ?? 'kstream',
      requestTimeoutMs: opts.requestTimeoutMs ?? 30_000,
      connectTimeoutMs: opts.connectTimeoutMs ?? 10_000,
      security: opts.security ?? PLAINTEXT,
    };
  }

  private open(addr: BrokerAddress, nodeId?: number): Promise<BrokerConnection> {
    return BrokerConnection.open({
      host: addr.host,
      port: addr.port,
      clientId: this.options.clientId,
      requestTimeoutMs: this.options.requestTimeoutMs,
      connectTimeoutMs: this.options.connectTimeoutMs,
      security: this.options.security,
      nodeId,
    });
  }

  /** A connection to any broker: a live node connection, else the bootstrap list tried in order. */
  async anyConnection(): Promise<BrokerConnection> {
    for (const p of this.connections.values()) {
      const c = await p.catch(() => null);
      if (c && !c.closed) return c;
    }
    if (this.bootstrapConn) {
      const c = await this.bootstrapConn.catch(() => null);
      if (c && !c.closed) return c;
    }
    this.bootstrapConn = this.connectBootstrap();
    return this.bootstrapConn;
  }

  private async connectBootstrap(): Promise<BrokerConnection> {
    let first: Error | undefined;
    const addrs = this.brokers.size > 0 ? [...this.brokers.values(), ...this.options.bootstrap] : this.options.bootstrap;
    for (const addr of addrs) {
      try {
        return await this.open(addr);
      } catch (e) {
        first ??= e as Error;
      }
    }
    if (this.options.bootstrap.length > 1 && first instanceof ConnectionError) {
      const list = this.options.bootstrap.map((a) => `${a.host}:${a.port}`).join(', ');
      throw new ConnectionError(`could not connect to any of ${list} — is a broker running? start one with \`kstream serve\``, list, first.code, { cause: first });
    }
    throw first!;
  }

  /** The connection to a broker node, opened on first use and reopened after it closed. */
  async connectionTo(nodeId: number): Promise<BrokerConnection> {
    const existing = this.connections.get(nodeId);
    if (existing) {
      const c = await existing.catch(() => null);
      if (c && !c.closed) return c;
      this.connections.delete(nodeId);
    }
    let info = this.brokers.get(nodeId);
    if (!info) {
      await this.refreshMetadata([]);
      info = this.brokers.get(nodeId);
      if (!info) throw new ConnectionError(`broker node ${nodeId} is not in the cluster metadata`, `node ${nodeId}`);
    }
    const p = this.open(info, nodeId);
    this.connections.set(nodeId, p);
    p.then(
      (c) => c.onClose(() => {
        if (this.connections.get(nodeId) === p) this.connections.delete(nodeId);
      }),
      () => {
        if (this.connections.get(nodeId) === p) this.connections.delete(nodeId);
      },
    );
    return p;
  }

  /**
   * Fetches metadata. `topics` null = all topics, [] = brokers only. With `autoCreate` the broker may
   * create missing topics (if it is configured to), as producers ask it to.
   */
  async refreshMetadata(topics: string[] | null, autoCreate = false): Promise<MetadataResponse> {
    const conn = await this.anyConnection();
    const version = conn.negotiated(MetadataApi);
    let topicList: Array<{ name: string; topicId?: string }> | null;
    if (topics === null) topicList = version === 0 ? [] : null;
    else topicList = topics.map((name) => ({ name, topicId: ZERO_UUID }));
    if (topics !== null && topics.length === 0 && version === 0) {
      // v0 has no way to ask for brokers only ([] means all topics); asking for all is harmless.
      topicList = [];
    }
    const res = await conn.request(MetadataApi, {
      topics: topicList,
      allowAutoTopicCreation: autoCreate,
    });
    this.brokers = new Map(res.brokers.map((b) => [b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack }]));
    this.controllerId = res.controllerId;
    this.clusterId = res.clusterId;
    if (topics === null) this.topics.clear();
    for (const t of res.topics) {
      if (t.name === null) continue;
      this.topics.set(t.name, {
        name: t.name,
        topicId: t.topicId,
        isInternal: t.isInternal,
        errorCode: t.errorCode,
        partitions: t.partitions
          .map((p) => ({
            partition: p.partitionIndex,
            leader: p.leaderId,
            leaderEpoch: p.leaderEpoch,
            replicas: p.replicaNodes,
            isr: p.isrNodes,
            errorCode: p.errorCode,
          }))
          .sort((a, b) => a.partition - b.partition),
      });
    }
    return res;
  }

  /**
   * Metadata for topics that must exist, waiting out a topic being created (LEADER_NOT_AVAILABLE).
   * A missing topic fails with a clear message.
   */
  async topicMetadata(names: string[], opts: { autoCreate?: boolean; attempts?: number } = {}): Promise<TopicMetadata[]> {
    const attempts = opts.attempts ?? 10;
    for (let i = 0; ; i++) {
      await this.refreshMetadata(names, opts.autoCreate ?? false);
      const out: TopicMetadata[] = [];
      let retry = false;
      for (const name of names) {
        const t = this.topics.get(name);
        if (!t || t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
          // A broker that auto-creates answers LEADER_NOT_AVAILABLE while it does; UNKNOWN_TOPIC
          // means it will not (auto.create.topics.enable=false) — one retry covers a race.
          if (opts.autoCreate && i < 1) {
            retry = true;
            continue;
          }
          throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${name}" does not exist (create it with \`kstream topics create ${name}\`)`);
        }
        if (t.errorCode === ErrorCode.LEADER_NOT_AVAILABLE || t.partitions.length === 0 || t.partitions.some((p) => p.leader < 0)) {
          retry = true;
          continue;
        }
        if (t.errorCode !== ErrorCode.NONE) throw new KafkaError(t.errorCode, `metadata for topic "${name}"`);
        out.push(t);
      }
      if (!retry) return out;
      if (i >= attempts) throw new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `topic(s) ${names.join(', ')} have no leader after ${attempts} tries`);
      await sleep(Math.min(50 * 2 ** i, 1000));
    }
  }

  leaderFor(topic: string, partition: number): number {
    const t = this.topics.get(topic);
    const p = t?.partitions[partition];
    return p && p.partition === partition ? p.leader : (t?.partitions.find((x) => x.partition === partition)?.leader ?? -1);
  }

  /** The controller (admin requests go there), or any broker if it is unknown. */
  async controllerConnection(): Promise<BrokerConnection> {
    if (this.controllerId < 0 || !this.brokers.has(this.controllerId)) await this.refreshMetadata([]);
    if (this.controllerId >= 0 && this.brokers.has(this.controllerId)) return this.connectionTo(this.controllerId);
    return this.anyConnection();
  }

  async close(): Promise<void> {
    this.closing = true;
    const all = [...this.connections.values()];
    if (this.bootstrapConn) all.push(this.bootstrapConn);
    this.connections.clear();
    this.bootstrapConn = null;
    for (const p of all) {
      const c = await p.catch(() => null);
      c?.close();
    }
  }

  get isClosing(): boolean {
    return this.closing;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
