/**
 * Cluster mode: the authorizer's ACLs live in the metadata store (etcd), shared by every broker, as
 * Kafka keeps them as AccessControlEntryRecords in the cluster metadata that every broker replays.
 * This broker lists them at start, then watches: a CreateAcls / DeleteAcls answered by any broker is
 * enforced here as soon as the watch delivers it. A change made here is written to the store first
 * (acknowledged once etcd has it) and applied locally at once, so the broker that answered enforces
 * it before its response leaves.
 *
 * Arrows: broker → cluster (the store) and broker → security (the authorizer's AclStorage).
 */
import type { AclEvent, MetadataStore, MetadataWatch } from '../cluster/metadata-store.ts';
import { bindingKey, describeBinding, type AclBinding } from '../security/authorizer/acl.ts';
import { aclFromJson, aclToJson, type AclStorage } from '../security/authorizer/acl-store.ts';
import type { Logger } from './logger.ts';

/** How long after a broken watch the ACLs are listed and watched again. */
const REWATCH_DELAY_MS = 1000;

export class ClusterAclStore implements AclStorage {
  readonly #store: MetadataStore;
  readonly #logger: Logger;
  readonly #byKey = new Map<string, AclBinding>();
  readonly #listeners: (() => void)[] = [];
  #watch: MetadataWatch | null = null;
  #retry: NodeJS.Timeout | undefined;
  #closed = false;

  private constructor(store: MetadataStore, logger: Logger) {
    this.#store = store;
    this.#logger = logger;
  }

  /** Lists the cluster's ACLs and starts watching them. A malformed stored ACL fails the start, naming its key. */
  static async open(store: MetadataStore, logger: Logger): Promise<ClusterAclStore> {
    const s = new ClusterAclStore(store, logger);
    await s.#listAndWatch();
    return s;
  }

  all(): AclBinding[] {
    return [...this.#byKey.values()];
  }

  get size(): number {
    return this.#byKey.size;
  }

  onChange(listener: () => void): void {
    this.#listeners.push(listener);
  }

  async apply(changes: { add?: readonly AclBinding[]; remove?: readonly AclBinding[] }): Promise<void> {
    await this.#store.alterAcls({ add: (changes.add ?? []).map(aclToJson), remove: (changes.remove ?? []).map(aclToJson) });
    for (const b of changes.remove ?? []) this.#byKey.delete(bindingKey(b));
    for (const b of changes.add ?? []) this.#byKey.set(bindingKey(b), b);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#retry);
    this.#watch?.close();
    this.#watch = null;
  }

  async #listAndWatch(): Promise<void> {
    const { acls, revision } = await this.#store.listAcls();
    this.#byKey.clear();
    for (const raw of acls) {
      const b = aclFromJson(raw);
      this.#byKey.set(bindingKey(b), b);
    }
    this.#changed();
    this.#watch = await this.#store.watchAcls(revision + 1, (events) => this.#onEvents(events), (err) => this.#onWatchError(err));
  }

  #onEvents(events: AclEvent[]): void {
    for (const e of events) {
      let b: AclBinding;
      try {
        b = aclFromJson(e.acl);
      } catch (err) {
        this.#logger.warn(`cluster ACLs: ignoring a stored ACL the authorizer cannot use (${(err as Error).message})`);
        continue;
      }
      if (e.type === 'put') this.#byKey.set(bindingKey(b), b);
      else this.#byKey.delete(bindingKey(b));
      this.#logger.debug(`cluster ACLs: ${e.type === 'put' ? 'added' : 'removed'} ${describeBinding(b)} (revision ${e.revision})`);
    }
    this.#changed();
  }

  #onWatchError(err: Error): void {
    if (this.#closed) return;
    this.#watch?.close();
    this.#watch = null;
    this.#logger.warn(`cluster ACLs: watch broke (${err.message}); listing and watching again in ${REWATCH_DELAY_MS} ms`);
    clearTimeout(this.#retry);
    this.#retry = setTimeout(() => {
      if (this.#closed) return;
      this.#listAndWatch().catch((e: unknown) => this.#onWatchError(e as Error));
    }, REWATCH_DELAY_MS);
    this.#retry.unref();
  }

  #changed(): void {
    for (const l of this.#listeners) l();
  }
}
