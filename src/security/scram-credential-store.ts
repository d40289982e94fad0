import { join } from 'node:path';
import { JsonStateFile } from '../storage/json-state-file.ts';
import { credentialFromString, credentialToString, type ScramCredential, type ScramMechanismName } from './scram.ts';

export interface ScramChanges {
  delete?: { user: string; mechanism: ScramMechanismName }[];
  upsert?: { user: string; mechanism: ScramMechanismName; credential: ScramCredential }[];
}

/**
 * SCRAM credentials by user and mechanism, persisted in the data dir (Kafka keeps them in the metadata
 * log as UserScramCredentialRecords). The file holds Kafka's credential strings
 * (`salt=…,stored_key=…,server_key=…,iterations=…`), never passwords. Writes are atomic: a temp file,
 * fsynced, renamed over the old one.
 */
export class ScramCredentialStore {
  private readonly users = new Map<string, Map<ScramMechanismName, ScramCredential>>();
  /** Null in memory only. */
  private readonly file: JsonStateFile | null;

  /** Cluster mode: changes go to the cluster's metadata store instead of the file (attachRemote). */
  private remote: ((changes: ScramChanges) => Promise<void>) | null = null;

  private constructor(file: JsonStateFile | null) {
    this.file = file;
  }

  /**
   * Cluster mode: from now on this store mirrors the cluster's credentials (`replaceAll` with a
   * listing, `applyRemote` with watched changes) and `apply` writes through `write` (the metadata
   * store) instead of the data dir's file, which is left as it is.
   */
  attachRemote(write: (changes: ScramChanges) => Promise<void>): void {
    this.remote = write;
  }

  /** Replaces every credential (a listing of the cluster's). Bad credential strings throw. */
  replaceAll(entries: readonly { user: string; mechanism: ScramMechanismName; credential: string }[]): void {
    this.users.clear();
    for (const e of entries) this.setInMemory(e.user, e.mechanism, credentialFromString(e.credential));
  }

  /** One watched change of the cluster's credentials (credential null = deleted). */
  applyRemote(user: string, mechanism: ScramMechanismName, credential: string | null): void {
    if (credential !== null) {
      this.setInMemory(user, mechanism, credentialFromString(credential));
      return;
    }
    const m = this.users.get(user);
    m?.delete(mechanism);
    if (m?.size === 0) this.users.delete(user);
  }

  get size(): number {
    let n = 0;
    for (const m of this.users.values()) n += m.size;
    return n;
  }

  /** In memory only (tests). */
  static inMemory(): ScramCredentialStore {
    return new ScramCredentialStore(null);
  }

  /** Loads `<dir>/scram-credentials.json` (absent = no users). A corrupt file is an error naming it. */
  static async open(dir: string): Promise<ScramCredentialStore> {
    // Credentials are secrets: the file is readable by the broker's user only.
    const store = new ScramCredentialStore(new JsonStateFile(join(dir, 'scram-credentials.json'), 0o600));
    await store.file!.load('SCRAM credentials', (data) => {
      const users = (data as { users?: Record<string, Record<string, string>> }).users ?? {};
      for (const [user, mechs] of Object.entries(users)) {
        for (const [mech, cred] of Object.entries(mechs)) store.setInMemory(user, mech as ScramMechanismName, credentialFromString(cred));
      }
    });
    return store;
  }

  get(mechanism: string, user: string): ScramCredential | undefined {
    return this.users.get(user)?.get(mechanism as ScramMechanismName);
  }

  /** Users and the mechanisms they have, sorted by name. */
  list(): { user: string; mechanisms: { mechanism: ScramMechanismName; iterations: number }[] }[] {
    return [...this.users.keys()].sort().map((user) => ({
      user,
      mechanisms: [...this.users.get(user)!].map(([mechanism, c]) => ({ mechanism, iterations: c.iterations })),
    }));
  }

  has(user: string, mechanism: ScramMechanismName): boolean {
    return this.users.get(user)?.has(mechanism) ?? false;
  }

  /** Applies deletions and upsertions together and persists them once. */
  async apply(changes: ScramChanges): Promise<void> {
    // Cluster mode: durable in the metadata store first, then here (other brokers learn it by watch).
    if (this.remote) await this.remote(changes);
    for (const d of changes.delete ?? []) {
      const m = this.users.get(d.user);
      m?.delete(d.mechanism);
      if (m?.size === 0) this.users.delete(d.user);
    }
    for (const u of changes.upsert ?? []) this.setInMemory(u.user, u.mechanism, u.credential);
    await this.persist();
  }

  private setInMemory(user: string, mechanism: ScramMechanismName, c: ScramCredential): void {
    let m = this.users.get(user);
    if (!m) this.users.set(user, (m = new Map()));
    m.set(mechanism, c);
  }

  private persist(): Promise<void> {
    if (this.file === null || this.remote) return Promise.resolve();
    const snapshot: Record<string, Record<string, string>> = {};
    for (const [user, mechs] of this.users) snapshot[user] = Object.fromEntries([...mechs].map(([m, c]) => [m, credentialToString(c)]));
    return this.file.write({ version: 1, users: snapshot });
  }
}
