import { join } from 'node:path';
import type { AclRecord } from '../../protocol/metadata-records.ts';
import { JsonStateFile } from '../../storage/json-state-file.ts';
import { AclOperation, AclPermissionType, type AclBinding, bindingKey, codeName, parseCode, PatternType, ResourceType, validateNewAcl } from './acl.ts';

/** The file, in the broker's metadata dir, that holds the ACLs. */
export const ACLS_FILE = 'acls.json';

/**
 * Where the authorizer's ACLs live: the data dir's file on a single node (AclStore below), the
 * cluster's metadata store in cluster mode (src/broker/cluster-acl-store.ts), where other brokers'
 * changes arrive too — `onChange` tells the authorizer to re-index after such a change.
 */
export interface AclStorage {
  all(): AclBinding[];
  readonly size: number;
  /** Adds bindings (an existing one is kept) and removes others; resolves once durable. */
  apply(changes: { add?: readonly AclBinding[]; remove?: readonly AclBinding[] }): Promise<void>;
  /** `listener` runs after ACLs changed other than through `apply` (another broker's CreateAcls). */
  onChange?(listener: () => void): void;
}

/**
 * The ACLs, persisted in the data dir (Kafka keeps them as AccessControlEntryRecords in the metadata
 * log). The file names the enums (`"operation": "READ"`) so it reads well and survives code changes.
 * Every change is written atomically (temp file, fsync, rename, fsync of the dir) before it is
 * acknowledged; writes are serialized so an older snapshot never replaces a newer one.
 */
export class AclStore implements AclStorage {
  private readonly byKey = new Map<string, AclBinding>();
  /** Null in memory only. */
  private readonly file: JsonStateFile | null;

  private constructor(file: JsonStateFile | null) {
    this.file = file;
  }

  static inMemory(bindings: readonly AclBinding[] = []): AclStore {
    const store = new AclStore(null);
    for (const b of bindings) store.byKey.set(bindingKey(b), b);
    return store;
  }

  /** Loads `<dir>/acls.json` (absent = no ACLs). A corrupt file fails the start, naming it. */
  static async open(dir: string): Promise<AclStore> {
    const store = new AclStore(new JsonStateFile(join(dir, ACLS_FILE)));
    await store.file!.load('ACLs', (data) => {
      for (const raw of (data as { acls?: Record<string, string>[] }).acls ?? []) {
        const b = aclFromJson(raw);
        store.byKey.set(bindingKey(b), b);
      }
    });
    return store;
  }

  all(): AclBinding[] {
    return [...this.byKey.values()];
  }

  get size(): number {
    return this.byKey.size;
  }

  /** Adds bindings (an existing one is kept, as Kafka does) and removes others, then persists once. */
  async apply(changes: { add?: readonly AclBinding[]; remove?: readonly AclBinding[] }): Promise<void> {
    for (const b of changes.remove ?? []) this.byKey.delete(bindingKey(b));
    for (const b of changes.add ?? []) this.byKey.set(bindingKey(b), b);
    await this.persist();
  }

  private persist(): Promise<void> {
    if (this.file === null) return Promise.resolve();
    return this.file.write({ version: 1, acls: this.all().map(aclToJson) });
  }
}

/** A binding as stored (acls.json, the cluster metadata store): enums by their Kafka names. */
export function aclToJson(b: AclBinding): AclRecord {
  return {
    resourceType: codeName(ResourceType, b.resourceType),
    resourceName: b.resourceName,
    patternType: codeName(PatternType, b.patternType),
    principal: b.principal,
    host: b.host,
    operation: codeName(AclOperation, b.operation),
    permissionType: codeName(AclPermissionType, b.permissionType),
  };
}

/** The inverse of aclToJson; validates (a bad value throws naming the field). */
export function aclFromJson(raw: Record<string, string>): AclBinding {
  const code = <T extends Record<string, number>>(table: T, field: string): number => {
    const c = typeof raw[field] === 'string' ? parseCode(table, raw[field]) : null;
    if (c === null) throw new Error(`bad ${field} ${JSON.stringify(raw[field])}`);
    return c;
  };
  const b: AclBinding = {
    resourceType: code(ResourceType, 'resourceType'),
    resourceName: String(raw.resourceName ?? ''),
    patternType: code(PatternType, 'patternType'),
    principal: String(raw.principal ?? ''),
    host: String(raw.host ?? ''),
    operation: code(AclOperation, 'operation'),
    permissionType: code(AclPermissionType, 'permissionType'),
  };
  validateNewAcl(b);
  return b;
}
