import { join } from 'node:path';
import { JsonStateFile } from '../storage/json-state-file.ts';
import { credentialFromString, credentialToString, type ScramCredential, type ScramMechanismName } from './scram.ts';

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

  private constructor(file: JsonStateFile | null) {
    this.file = file;
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
  async apply(changes: { delete?: { user: string; mechanism: ScramMechanismName }[]; upsert?: { user: string; mechanism: ScramMechanismName; credential: ScramCredential }[] }): Promise<void> {
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
    if (this.file === null) return Promise.resolve();
    const snapshot: Record<string, Record<string, string>> = {};
    for (const [user, mechs] of this.users) snapshot[user] = Object.fromEntries([...mechs].map(([m, c]) => [m, credentialToString(c)]));
    return this.file.write({ version: 1, users: snapshot });
  }
}
