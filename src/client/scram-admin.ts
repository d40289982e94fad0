import { randomBytes } from 'node:crypto';
import { ErrorCode } from '../protocol/error-codes.ts';
import { AlterUserScramCredentialsApi } from '../protocol/messages/alter-user-scram-credentials.ts';
import { DescribeUserScramCredentialsApi } from '../protocol/messages/describe-user-scram-credentials.ts';
import { MAX_ITERATIONS, SCRAM_MECHANISMS, saltedPassword, scramMechanismByName, scramMechanismByType, type ScramMechanismName } from '../security/scram.ts';
import type { Cluster } from './cluster.ts';
import { KafkaError, check } from './errors.ts';

/**
 * SCRAM users over DescribeUserScramCredentials / AlterUserScramCredentials, as Kafka's Admin client
 * (and `kafka-configs --alter --add-config 'SCRAM-SHA-256=[iterations=8192,password=…]' --entity-type
 * users`) does it: the salt is random and the salted password is computed here, so the password never
 * leaves the client; the broker derives and keeps StoredKey/ServerKey.
 */

export interface ScramUser {
  user: string;
  credentials: { mechanism: ScramMechanismName; iterations: number }[];
}

export interface ScramUpsert {
  user: string;
  mechanism: ScramMechanismName;
  password: string;
  /** 4096 (RFC 7677's minimum, Kafka's default) to 16384. */
  iterations?: number;
}

/** Per-user outcome of an alteration (the request is all-or-nothing per user, not per request). */
export interface ScramAlterResult {
  user: string;
  error: KafkaError | null;
}

export class ScramAdmin {
  readonly cluster: Cluster;

  constructor(cluster: Cluster) {
    this.cluster = cluster;
  }

  /** Users with SCRAM credentials: all of them, or the named ones (a missing name is an error). */
  async describe(users: string[] | null = null): Promise<ScramUser[]> {
    const conn = await this.cluster.anyConnection();
    const res = await conn.request(DescribeUserScramCredentialsApi, { users: users === null || users.length === 0 ? null : users.map((name) => ({ name })) });
    check(res.errorCode, 'DescribeUserScramCredentials', res.errorMessage);
    const out: ScramUser[] = [];
    for (const r of res.results) {
      if (r.errorCode === ErrorCode.RESOURCE_NOT_FOUND) throw new KafkaError(r.errorCode, `user ${r.user} has no SCRAM credentials`, r.errorMessage);
      check(r.errorCode, `describing SCRAM credentials of ${r.user}`, r.errorMessage);
      out.push({
        user: r.user,
        credentials: r.credentialInfos.map((c) => ({ mechanism: scramMechanismByType(c.mechanism)?.name ?? (`UNKNOWN(${c.mechanism})` as ScramMechanismName), iterations: c.iterations })),
      });
    }
    return out.sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : 0));
  }

  /** Creates or replaces credentials and deletes others, in one request; one result per user. */
  async alter(upserts: readonly ScramUpsert[], deletions: readonly { user: string; mechanism: ScramMechanismName }[] = []): Promise<ScramAlterResult[]> {
    const upsertions = upserts.map((u) => {
      const m = scramMechanismByName(u.mechanism);
      if (!m) throw new Error(`unknown SCRAM mechanism ${u.mechanism} (${SCRAM_MECHANISMS.map((x) => x.name).join(', ')})`);
      const iterations = u.iterations ?? m.minIterations;
      if (!Number.isInteger(iterations) || iterations < m.minIterations || iterations > MAX_ITERATIONS) {
        throw new Error(`iterations must be ${m.minIterations}–${MAX_ITERATIONS} for ${m.name}, not ${iterations}`);
      }
      // Kafka's Admin client: a fresh random salt per credential.
      const salt = randomBytes(32);
      return { name: u.user, mechanism: m.type, iterations, salt, saltedPassword: saltedPassword(m, u.password, salt, iterations) };
    });
    const dels = deletions.map((d) => ({ name: d.user, mechanism: scramMechanismByName(d.mechanism)?.type ?? 0 }));
    const conn = await this.cluster.controllerConnection();
    const res = await conn.request(AlterUserScramCredentialsApi, { deletions: dels, upsertions });
    return res.results.map((r) => ({ user: r.user, error: r.errorCode === ErrorCode.NONE ? null : new KafkaError(r.errorCode, `user ${r.user}`, r.errorMessage) }));
  }
}
