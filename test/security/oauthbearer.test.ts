import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_UNSECURED_VALIDATOR, OAuthBearerSaslServer, validateUnsecuredJws } from '../../src/security/oauthbearer-server.ts';
import { closeAll, RawClient, startTestBroker } from '../helpers/index.ts';
import { MetadataFacts, SaslAuthenticateFacts, SaslHandshakeFacts } from '../../src/protocol/messages/api-facts.ts';

afterAll(closeAll);

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const unsecured = (claims: Record<string, unknown>) => `${b64({ alg: 'none' })}.${b64(claims)}.`;
const initial = (token: string) => Buffer.from(`n,,\x01auth=Bearer ${token}\x01\x01`);
const NOW = 1_700_000_000_000;

describe('OAUTHBEARER, unsecured JWS validator (development)', () => {
  it('validates alg none, exp, iat, principal claim and required scope', () => {
    const ok = validateUnsecuredJws(unsecured({ sub: 'dev', exp: NOW / 1000 + 60 }), DEFAULT_UNSECURED_VALIDATOR, NOW);
    expect(ok).toEqual({ principal: 'dev', expiresAt: NOW + 60_000 });
    expect(() => validateUnsecuredJws(unsecured({ sub: 'dev', exp: NOW / 1000 - 1 }), DEFAULT_UNSECURED_VALIDATOR, NOW)).toThrow(/expired/);
    expect(() => validateUnsecuredJws(unsecured({ exp: NOW / 1000 + 60 }), DEFAULT_UNSECURED_VALIDATOR, NOW)).toThrow(/principal claim "sub"/);
    expect(() => validateUnsecuredJws(`${b64({ alg: 'HS256' })}.${b64({ sub: 'x', exp: NOW / 1000 + 60 })}.`, DEFAULT_UNSECURED_VALIDATOR, NOW)).toThrow(/alg "none"/);
    expect(() => validateUnsecuredJws('abc', DEFAULT_UNSECURED_VALIDATOR, NOW)).toThrow(/three dot-separated parts/);
    const scoped = { ...DEFAULT_UNSECURED_VALIDATOR, requiredScope: ['kafka'] };
    expect(() => validateUnsecuredJws(unsecured({ sub: 'd', exp: NOW / 1000 + 60, scope: 'other' }), scoped, NOW)).toThrow(/required scope kafka/);
    expect(validateUnsecuredJws(unsecured({ sub: 'd', exp: NOW / 1000 + 60, scope: 'a kafka' }), scoped, NOW).principal).toBe('d');
  });

  it('an invalid token gets Kafka\'s JSON challenge, then %x01 fails the exchange with it', () => {
    const s = new OAuthBearerSaslServer(DEFAULT_UNSECURED_VALIDATOR, () => NOW);
    const challenge = s.evaluate(initial(unsecured({ sub: 'dev', exp: NOW / 1000 - 5 })));
    expect(challenge.toString()).toBe('{"status":"invalid_token"}');
    expect(s.complete).toBe(false);
    expect(() => s.evaluate(Buffer.from([1]))).toThrow('{"status":"invalid_token"}');
  });

  it('a broker session is bounded by the token\'s exp (KIP-368), and kafkajs authenticates with it', async () => {
    let clock = NOW;
    const b = await startTestBroker({
      config: { listeners: 'SASL_PLAINTEXT://127.0.0.1:0', 'sasl.enabled.mechanisms': 'OAUTHBEARER', 'connections.max.reauth.ms': '3600000' },
      now: () => clock,
    });
    const c = await RawClient.connect(b.port);
    expect((await c.request(SaslHandshakeFacts, 1, { mechanism: 'OAUTHBEARER' })).mechanisms).toEqual(['OAUTHBEARER']);
    const r = await c.request(SaslAuthenticateFacts, 2, { authBytes: initial(unsecured({ sub: 'dev', exp: NOW / 1000 + 120 })) });
    expect(r).toMatchObject({ errorCode: 0, sessionLifetimeMs: 120_000n });
    clock += 121_000;
    await expect(c.request(MetadataFacts, 4, { topics: null, allowAutoTopicCreation: false })).rejects.toThrow(/closed/);

    clock = Date.now();
    const k = new Kafka({
      brokers: [`127.0.0.1:${b.port}`], logLevel: logLevel.NOTHING, retry: { retries: 0 },
      sasl: { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: unsecured({ sub: 'dev', exp: Date.now() / 1000 + 3600 }) }) },
    });
    const admin = k.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'oauth' }] });
    expect(await admin.listTopics()).toContain('oauth');
    await admin.disconnect();
  });
});
