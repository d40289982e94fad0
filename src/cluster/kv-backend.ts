/**
 * The small slice of etcd's v3 data model the metadata store is written against: a flat, revisioned
 * key space with leases, compare-and-swap transactions and prefix watches from a revision.
 *
 * Two backends implement it: `MemoryKv` (in-process, for the zero-config single node and for tests on
 * a fake clock) and `EtcdKv` (etcd's JSON gateway). The metadata store above is written once, so the
 * single-node broker and a cluster run the very same CAS and fencing logic — only durability and
 * failure detection differ.
 */

/** One stored key, with etcd's bookkeeping. Revisions are cluster-wide and strictly increasing. */
export interface KeyValue {
  key: string;
  value: string;
  /** Revision of the put that created this key (since its last delete). Stable across updates. */
  createRevision: number;
  /** Revision of the last put to this key. */
  modRevision: number;
  /** Lease the key is attached to, or '0' for none. When the lease ends, the key is deleted. */
  lease: string;
}

/** A guard of a transaction: `target` revision of `key` must equal `equals` (0 = key absent). */
export interface Compare {
  key: string;
  target: 'create' | 'mod';
  equals: number;
}

export type TxnOp =
  | { op: 'put'; key: string; value: string; lease?: string }
  | { op: 'delete'; key: string }
  | { op: 'delete-prefix'; prefix: string };

export interface TxnResult {
  succeeded: boolean;
  /** Store revision after the transaction (the revision of its writes when it succeeded and wrote). */
  revision: number;
}

export interface WatchEvent {
  type: 'put' | 'delete';
  /** For deletes only `key` and `modRevision` (the delete's revision) are meaningful. */
  kv: KeyValue;
}

export interface KvWatch {
  close(): void;
}

export interface KvBackend {
  get(key: string): Promise<{ kv: KeyValue | null; revision: number }>;
  /** Every key starting with `prefix`, sorted by key, and the revision the read was served at. */
  range(prefix: string): Promise<{ kvs: KeyValue[]; revision: number }>;
  /** All compares hold → apply `success` atomically; otherwise apply nothing. */
  txn(compares: Compare[], success: TxnOp[]): Promise<TxnResult>;
  /** A lease lives `ttlMs` (etcd rounds up to whole seconds) unless kept alive. Returns its id. */
  grantLease(ttlMs: number): Promise<string>;
  /** Renews a lease; returns the remaining TTL in ms, 0 when the lease no longer exists. */
  keepAlive(leaseId: string): Promise<number>;
  /** Ends a lease now, deleting its keys. Unknown leases are ignored. */
  revokeLease(leaseId: string): Promise<void>;
  /**
   * Streams every change under `prefix` with revision >= `fromRevision`, in revision order, a
   * transaction's events together. `onError` reports a broken watch (the caller re-lists and re-watches).
   */
  watch(
    prefix: string,
    fromRevision: number,
    onEvents: (events: WatchEvent[]) => void,
    onError: (err: Error) => void,
  ): Promise<KvWatch>;
  close(): Promise<void>;
}
