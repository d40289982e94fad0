import { ErrorCode } from '../protocol/error-codes.ts';
import { credentialFromSaltedPassword, MAX_ITERATIONS, scramMechanismByType, type ScramCredential, type ScramMechanismName } from './scram.ts';
import type { ScramCredentialStore } from './scram-credential-store.ts';

/**
 * Describe/AlterUserScramCredentials with the validation and messages of Kafka's ScramImage and
 * ScramControlManager. Alter is all-or-nothing per user: every valid change is applied and persisted
 * together; each user gets one result.
 */

export interface UserResult {
  user: string;
  errorCode: number;
  errorMessage: string | null;
}

export interface DescribeResult extends UserResult {
  credentialInfos: { mechanism: number; iterations: number }[];
}

export function describeScramCredentials(store: ScramCredentialStore, users: readonly string[] | null): DescribeResult[] {
  const seen = new Map<string, boolean>(); // user → asked for twice
  if (users === null || users.length === 0) for (const { user } of store.list()) seen.set(user, false);
  else for (const u of users) seen.set(u, seen.has(u));
  const out: DescribeResult[] = [];
  for (const [user, duplicate] of seen) {
    if (duplicate) {
      out.push({ user, errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: `Cannot describe SCRAM credentials for the same user twice in a single request: ${user}`, credentialInfos: [] });
      continue;
    }
    const entry = store.list().find((e) => e.user === user);
    if (!entry) {
      out.push({ user, errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: `Attempt to describe a user credential that does not exist: ${user}`, credentialInfos: [] });
      continue;
    }
    const credentialInfos = entry.mechanisms.map((m) => ({ mechanism: m.mechanism === 'SCRAM-SHA-256' ? 1 : 2, iterations: m.iterations })).sort((a, b) => a.mechanism - b.mechanism);
    out.push({ user, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos });
  }
  return out;
}

export interface AlterRequest {
  deletions: readonly { name: string; mechanism: number }[];
  upsertions: readonly { name: string; mechanism: number; iterations: number; salt: Buffer; saltedPassword: Buffer }[];
}

const TWICE = 'A user credential cannot be altered twice in the same request';

function validateUser(name: string, mechanismType: number): UserResult | ScramMechanismName {
  if (name === '') return { user: name, errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'Username must not be empty' };
  const m = scramMechanismByType(mechanismType);
  if (!m) return { user: name, errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, errorMessage: 'Unknown SCRAM mechanism' };
  return m.name;
}

export async function alterScramCredentials(store: ScramCredentialStore, req: AlterRequest): Promise<UserResult[]> {
  const errors = new Map<string, UserResult>();
  const deletions = new Map<string, ScramMechanismName>();
  const upserts = new Map<string, { mechanism: ScramMechanismName; credential: ScramCredential }>();
  for (const d of req.deletions) {
    if (errors.has(d.name)) continue;
    if (deletions.delete(d.name)) {
      errors.set(d.name, { user: d.name, errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: TWICE });
      continue;
    }
    const v = validateUser(d.name, d.mechanism);
    if (typeof v !== 'string') errors.set(d.name, v);
    else if (!store.has(d.name, v)) errors.set(d.name, { user: d.name, errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: 'Attempt to delete a user credential that does not exist' });
    else deletions.set(d.name, v);
  }
  for (const u of req.upsertions) {
    if (errors.has(u.name)) continue;
    if (deletions.delete(u.name) || upserts.delete(u.name)) {
      errors.set(u.name, { user: u.name, errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: TWICE });
      continue;
    }
    const v = validateUser(u.name, u.mechanism);
    if (typeof v !== 'string') {
      errors.set(u.name, v);
      continue;
    }
    const m = scramMechanismByType(u.mechanism)!;
    if (u.iterations < m.minIterations) errors.set(u.name, { user: u.name, errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'Too few iterations' });
    else if (u.iterations > MAX_ITERATIONS) errors.set(u.name, { user: u.name, errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'Too many iterations' });
    else if (u.salt.length === 0 || u.saltedPassword.length === 0) errors.set(u.name, { user: u.name, errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'Salt and salted password must not be empty' });
    else upserts.set(u.name, { mechanism: v, credential: credentialFromSaltedPassword(m, Buffer.from(u.salt), Buffer.from(u.saltedPassword), u.iterations) });
  }
  await store.apply({
    delete: [...deletions].map(([user, mechanism]) => ({ user, mechanism })),
    upsert: [...upserts].map(([user, { mechanism, credential }]) => ({ user, mechanism, credential })),
  });
  const ok = (user: string): UserResult => ({ user, errorCode: ErrorCode.NONE, errorMessage: null });
  return [...[...deletions.keys()].map(ok), ...[...upserts.keys()].map(ok), ...errors.values()];
}
