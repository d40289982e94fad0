/** Creating SCRAM users the way kafka-configs does: AlterUserScramCredentials with salt + salted password. */
import { randomBytes } from 'node:crypto';
import { saltedPassword, scramMechanismByName } from '../../src/security/scram.ts';
import { RawClient } from '../helpers/index.ts';
import { AlterUserScramCredentialsFacts } from '../../src/protocol/messages/api-facts.ts';

export async function createScramUser(port: number, user: string, password: string, mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512', iterations = 4096) {
  const m = scramMechanismByName(mechanism)!;
  const salt = randomBytes(16);
  const c = await RawClient.connect(port);
  try {
    const res = await c.request(AlterUserScramCredentialsFacts, 0, {
      deletions: [],
      upsertions: [{ name: user, mechanism: m.type, iterations, salt, saltedPassword: saltedPassword(m, password, salt, iterations) }],
    });
    return res as { results: { user: string; errorCode: number; errorMessage: string | null }[] };
  } finally {
    c.close();
  }
}
