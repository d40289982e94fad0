/**
 * Cluster mode: SCRAM credentials live in the metadata store (etcd `scram/<user>/<mechanism>`), as
 * Kafka keeps UserScramCredentialRecords in the cluster metadata. This broker's credential store
 * (what its SASL listeners authenticate against) mirrors them (src/cluster/mirrored-keyspace.ts):
 * listed before the broker serves, then watched; AlterUserScramCredentials answered here writes to
 * the store first. So a user created through any broker can log in on every broker — the
 * inter-broker SCRAM user included.
 *
 * Arrows: broker → cluster (the store) and broker → security (the credential store).
 */
import type { MetadataStore } from '../cluster/metadata-store.ts';
import type { ScramRecord } from '../protocol/metadata-records.ts';
import { MirroredKeyspace, scramKeyspace } from '../cluster/mirrored-keyspace.ts';
import { credentialFromString, credentialToString, scramMechanismByName, type ScramMechanismName } from '../security/scram.ts';
import type { ScramCredentialStore } from '../security/scram-credential-store.ts';
import type { Logger } from './logger.ts';

/** A stored credential this broker can use: a mechanism it knows and a credential string that parses. */
type UsableCredential = { user: string; mechanism: ScramMechanismName; credential: string };

export class ClusterScramCredentials {
  readonly #mirror: MirroredKeyspace<ScramRecord, UsableCredential>;

  private constructor(mirror: MirroredKeyspace<ScramRecord, UsableCredential>) {
    this.#mirror = mirror;
  }

  /** Makes `credentials` mirror the cluster's and write through the store; resolves once listed. */
  static async attach(store: MetadataStore, credentials: ScramCredentialStore, logger: Logger): Promise<ClusterScramCredentials> {
    const local = credentials.size;
    credentials.attachRemote((changes) =>
      store.alterScramCredentials({
        delete: changes.delete ?? [],
        upsert: (changes.upsert ?? []).map((u) => ({ user: u.user, mechanism: u.mechanism, credential: credentialToString(u.credential) })),
      }),
    );
    const mirror = await MirroredKeyspace.open<ScramRecord, UsableCredential>({
      what: 'cluster SCRAM credentials',
      keyspace: scramKeyspace(store),
      // A mechanism this broker does not know (written by a newer one) is not an error: it is not ours.
      keyOf: (r) => (scramMechanismByName(r.mechanism) ? `${r.user}/${r.mechanism}` : undefined),
      valueOf: (r) => {
        credentialFromString(r.credential); // throws on a malformed credential: the record is unusable
        return { user: r.user, mechanism: r.mechanism as ScramMechanismName, credential: r.credential };
      },
      logger,
      onChange: (change) => {
        if (change.kind === 'reset') {
          credentials.replaceAll(change.values);
          return;
        }
        for (const e of change.events) {
          if (e.type === 'put') credentials.applyRemote(e.value.user, e.value.mechanism, e.value.credential);
          else credentials.applyRemote(e.record.user, e.record.mechanism as ScramMechanismName, null);
        }
      },
    });
    if (local > 0) logger.warn(`cluster mode: SCRAM credentials come from the metadata store; the ${local} in this data dir are not used`);
    logger.info(`SCRAM credentials: ${credentials.size} loaded from the metadata store, shared by the cluster`);
    return new ClusterScramCredentials(mirror);
  }

  close(): void {
    this.#mirror.close();
  }
}
