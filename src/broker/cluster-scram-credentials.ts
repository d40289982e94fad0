/**
 * Cluster mode: SCRAM credentials live in the metadata store (etcd `scram/<user>/<mechanism>`), as
 * Kafka keeps UserScramCredentialRecords in the cluster metadata. This broker's credential store
 * (what its SASL listeners authenticate against) mirrors them: listed before the broker serves,
 * then watched; AlterUserScramCredentials answered here writes to the store first. So a user created
 * through any broker can log in on every broker — the inter-broker SCRAM user included.
 *
 * Arrows: broker → cluster (the store) and broker → security (the credential store).
 */
import type { MetadataStore, MetadataWatch, ScramEvent } from '../cluster/metadata-store.ts';
import { credentialToString, scramMechanismByName, type ScramMechanismName } from '../security/scram.ts';
import type { ScramCredentialStore } from '../security/scram-credential-store.ts';
import type { Logger } from './logger.ts';

const REWATCH_DELAY_MS = 1000;

export class ClusterScramCredentials {
  readonly #store: MetadataStore;
  readonly #credentials: ScramCredentialStore;
  readonly #logger: Logger;
  #watch: MetadataWatch | null = null;
  #retry: NodeJS.Timeout | undefined;
  #closed = false;

  private constructor(store: MetadataStore, credentials: ScramCredentialStore, logger: Logger) {
    this.#store = store;
    this.#credentials = credentials;
    this.#logger = logger;
  }

  /** Makes `credentials` mirror the cluster's and write through the store; resolves once listed. */
  static async attach(store: MetadataStore, credentials: ScramCredentialStore, logger: Logger): Promise<ClusterScramCredentials> {
    const local = credentials.size;
    const s = new ClusterScramCredentials(store, credentials, logger);
    credentials.attachRemote((changes) =>
      store.alterScramCredentials({
        delete: changes.delete ?? [],
        upsert: (changes.upsert ?? []).map((u) => ({ user: u.user, mechanism: u.mechanism, credential: credentialToString(u.credential) })),
      }),
    );
    await s.#listAndWatch();
    if (local > 0) logger.warn(`cluster mode: SCRAM credentials come from the metadata store; the ${local} in this data dir are not used`);
    logger.info(`SCRAM credentials: ${credentials.size} loaded from the metadata store, shared by the cluster`);
    return s;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#retry);
    this.#watch?.close();
    this.#watch = null;
  }

  async #listAndWatch(): Promise<void> {
    const { records, revision } = await this.#store.listScramCredentials();
    this.#credentials.replaceAll(records.flatMap((r) => (mechanismOf(r.mechanism) ? [{ user: r.user, mechanism: mechanismOf(r.mechanism)!, credential: r.credential }] : [])));
    this.#watch = await this.#store.watchScramCredentials(revision + 1, (events) => this.#onEvents(events), (err) => this.#onWatchError(err));
  }

  #onEvents(events: ScramEvent[]): void {
    for (const e of events) {
      const mechanism = mechanismOf(e.record.mechanism);
      if (!mechanism) continue;
      try {
        this.#credentials.applyRemote(e.record.user, mechanism, e.type === 'put' ? e.record.credential : null);
      } catch (err) {
        this.#logger.warn(`cluster SCRAM credentials: ignoring ${e.record.user}/${mechanism}: ${(err as Error).message}`);
      }
    }
  }

  #onWatchError(err: Error): void {
    if (this.#closed) return;
    this.#watch?.close();
    this.#watch = null;
    this.#logger.warn(`cluster SCRAM credentials: watch broke (${err.message}); listing and watching again in ${REWATCH_DELAY_MS} ms`);
    clearTimeout(this.#retry);
    this.#retry = setTimeout(() => {
      if (this.#closed) return;
      this.#listAndWatch().catch((e: unknown) => this.#onWatchError(e as Error));
    }, REWATCH_DELAY_MS);
    this.#retry.unref();
  }
}

function mechanismOf(name: string): ScramMechanismName | undefined {
  return scramMechanismByName(name) ? (name as ScramMechanismName) : undefined;
}
