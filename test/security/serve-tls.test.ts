import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closeAll, hasKcat, runKcat, startChildBroker } from '../helpers/index.ts';

afterAll(closeAll);

describe.skipIf(!hasKcat)(`kstream serve --tls-self-signed${hasKcat ? '' : ' (skipped: kcat is not installed)'}`, () => {
  it('adds an SSL listener with a generated CA, prints how to trust it, and kcat connects with that CA', async () => {
    const c = await startChildBroker({ args: ['--tls-self-signed'] });
    try {
      // The lines after the ready line may already be in the output: poll it.
      let m: RegExpMatchArray | null = null;
      for (let i = 0; i < 200 && !(m = /also listening on 127\.0\.0\.1:(\d+) \(SSL, SSL\)[\s\S]*ssl\.ca\.location=/.exec(c.output())); i++) await new Promise((r) => setTimeout(r, 50));
      expect(m, c.output()).not.toBeNull();
      const sslPort = m![1]!;
      const ca = join(c.dataDir, 'tls', 'ca.pem');
      expect(c.output()).toContain(`clients must trust the CA ${ca}`);
      expect(existsSync(ca)).toBe(true);
      expect(statSync(join(c.dataDir, 'tls', 'server.pem')).mode & 0o077).toBe(0);
      const ok = await runKcat(['-b', `127.0.0.1:${sslPort}`, '-X', 'security.protocol=ssl', '-X', `ssl.ca.location=${ca}`, '-L', '-J']);
      expect(ok.code, ok.stderr).toBe(0);
      expect(JSON.parse(ok.stdout).brokers[0].name).toBe(`127.0.0.1:${sslPort}`);
      // Without trusting the CA the certificate is refused.
      const untrusted = await runKcat(['-b', `127.0.0.1:${sslPort}`, '-X', 'security.protocol=ssl', '-L', '-m', '3']);
      expect(untrusted.code).not.toBe(0);
    } finally {
      c.kill('SIGTERM');
      await c.exited;
    }
  });
});
