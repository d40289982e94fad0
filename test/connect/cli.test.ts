import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeBin, repoRoot, run, startTestBroker, tempDir } from '../helpers/index.ts';
import { closeConnectAndBrokers, rest, startWorker, waitFor, standaloneWorkerProps } from './helpers.ts';

/** `kstream connect list|status|create|delete|pause|resume|stop|restart|offsets` against a worker's REST API. */

let url: string;
let dir: string;

beforeAll(async () => {
  const broker = await startTestBroker();
  dir = await tempDir('kstream-connect-cli-');
  await writeFile(join(dir, 'in.txt'), 'a\nb\n');
  const w = await startWorker(standaloneWorkerProps(broker.bootstrap, dir));
  url = w.url;
}, 60_000);

afterAll(closeConnectAndBrokers);

const kstream = (...args: string[]) => run(nodeBin, [join(repoRoot, 'bin/dev'), 'connect', ...args, '--connect-url', url], { timeoutMs: 60_000 });

describe('kstream connect (REST client commands)', () => {
  it('creates from a properties file, lists, shows status, pauses, resumes, restarts', async () => {
    await writeFile(join(dir, 'src.properties'), `name=cli-src\nconnector.class=FileStreamSource\nfile=${join(dir, 'in.txt')}\ntopic=cli-topic\n`);
    const created = await kstream('create', join(dir, 'src.properties'));
    expect(created.stderr).toBe('');
    expect(created.stdout).toMatch(/created connector cli-src \(1 task\)/);
    expect(created.code).toBe(0);

    const again = await kstream('create', join(dir, 'src.properties'));
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('error: Connector cli-src already exists\n');

    await waitFor('the task to run', async () => ((await rest(url, 'GET', '/connectors/cli-src/status')).body as { tasks: Array<{ state: string }> }).tasks[0]?.state === 'RUNNING');
    const list = await kstream('list');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^NAME\s+TYPE\s+STATE\s+TASKS RUNNING\s+CLASS\ncli-src\s+source\s+RUNNING\s+1\/1\s+FileStreamSource\n$/);

    const status = await kstream('status', 'cli-src', '--json');
    expect(JSON.parse(status.stdout)).toMatchObject({ name: 'cli-src', connector: { state: 'RUNNING' }, type: 'source' });

    expect((await kstream('pause', 'cli-src')).code).toBe(0);
    expect(((await rest(url, 'GET', '/connectors/cli-src/status')).body as { connector: { state: string } }).connector.state).toBe('PAUSED');
    expect((await kstream('resume', 'cli-src')).code).toBe(0);
    const restart = await kstream('restart', 'cli-src', '--include-tasks');
    expect(restart.stdout).toMatch(/restart requested for connector cli-src and task\(s\) 0/);
  }, 180_000);

  it('stops, shows and alters offsets, reports errors and deletes', async () => {
    await waitFor('the source offset', async () => ((await rest(url, 'GET', '/connectors/cli-src/offsets')).body as { offsets: unknown[] }).offsets.length > 0);
    const refused = await kstream('offsets', 'cli-src', '--reset');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: Connectors must be in the STOPPED state/);
    expect((await kstream('stop', 'cli-src')).code).toBe(0);
    const shown = await kstream('offsets', 'cli-src');
    expect(JSON.parse(shown.stdout)).toEqual({ offsets: [{ partition: { filename: join(dir, 'in.txt') }, offset: { position: 4 } }] });
    const body = JSON.stringify({ offsets: [{ partition: { filename: join(dir, 'in.txt') }, offset: { position: 2 } }] });
    expect((await kstream('offsets', 'cli-src', '--alter', body)).stdout).toBe('The offsets for this connector have been altered successfully\n');
    expect((await kstream('offsets', 'cli-src', '--reset')).stdout).toBe('The offsets for this connector have been reset successfully\n');

    const missing = await kstream('status', 'nope');
    expect(missing).toMatchObject({ code: 1, stderr: 'error: No status found for connector nope\n' });
    const noYes = await kstream('delete', 'cli-src');
    expect(noYes.stderr).toMatch(/pass --yes/);
    expect((await kstream('delete', 'cli-src', '--yes')).stdout).toMatch(/deleted connector cli-src/);
    expect((await rest(url, 'GET', '/connectors')).body).toEqual([]);

    const down = await run(nodeBin, [join(repoRoot, 'bin/dev'), 'connect', 'list', '--connect-url', 'http://127.0.0.1:1'], { timeoutMs: 60_000 });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^error: cannot reach the Connect worker at http:\/\/127\.0\.0\.1:1/);
  }, 180_000);
});
