/**
 * Cluster mode: the authorizer's ACLs live in the metadata store (etcd), shared by every broker, as
 * Kafka keeps them as AccessControlEntryRecords in the cluster metadata that every broker replays.
 * This broker mirrors them (listed at start, then watched: src/cluster/mirrored-keyspace.ts): a
 * CreateAcls / DeleteAcls answered by any broker is enforced here as soon as the watch delivers it. A
 * change made here is written to the store first (acknowledged once etcd has it) and applied locally
 * at once, so the broker that answered enforces it before its response leaves.
 *
 * Arrows: broker → cluster (the store) and broker → security (the authorizer's AclStorage).
 */
import type { MetadataStore } from '../cluster/metadata-store.ts';
import type { AclRecord } from '../protocol/metadata-records.ts';
import { aclKeyspace, MirroredKeyspace } from '../cluster/mirrored-keyspace.ts';
import { bindingKey, describeBinding, type AclBinding } from '../security/authorizer/acl.ts';
import { aclFromJson, aclToJson, type AclStorage } from '../security/authorizer/acl-store.ts';
import type { Logger } from './logger.ts';

export class ClusterAclStore implements AclStorage {
  readonly #store: MetadataStore;
  readonly #mirror: MirroredKeyspace<AclRecord, AclBinding>;
  readonly #listeners: (() => void)[];

  private constructor(store: MetadataStore, mirror: MirroredKeyspace<AclRecord, AclBinding>, listeners: (() => void)[]) {
    this.#store = store;
    this.#mirror = mirror;
    this.#listeners = listeners;
  }

  /** Lists the cluster's ACLs and starts watching them. A malformed stored ACL fails the start, naming its key. */
  static async open(store: MetadataStore, logger: Logger): Promise<ClusterAclStore> {
    // Listeners are added after open; the mirror calls them through this array from its first watched change.
    const listeners: (() => void)[] = [];
    const mirror = await MirroredKeyspace.open<AclRecord, AclBinding>({
      what: 'cluster ACLs',
      keyspace: aclKeyspace(store),
      keyOf: (r) => bindingKey(aclFromJson(r)),
      valueOf: (r) => aclFromJson(r),
      logger,
      onChange: (change) => {
        if (change.kind === 'events') {
          for (const e of change.events) logger.debug(`cluster ACLs: ${e.type === 'put' ? `added ${describeBinding(e.value)}` : `removed ${e.previous ? describeBinding(e.previous) : e.key}`} (revision ${e.revision})`);
        }
        for (const l of listeners) l();
      },
    });
    return new ClusterAclStore(store, mirror, listeners);
  }

  all(): AclBinding[] {
    return this.#mirror.values();
  }

  get size(): number {
    return this.#mirror.size;
  }

  onChange(listener: () => void): void {
    this.#listeners.push(listener);
  }

  async apply(changes: { add?: readonly AclBinding[]; remove?: readonly AclBinding[] }): Promise<void> {
    await this.#store.alterAcls({ add: (changes.add ?? []).map(aclToJson), remove: (changes.remove ?? []).map(aclToJson) });
    for (const b of changes.remove ?? []) this.#mirror.setLocal(bindingKey(b), null);
    for (const b of changes.add ?? []) this.#mirror.setLocal(bindingKey(b), b);
  }

  close(): void {
    this.#mirror.close();
  }
}
