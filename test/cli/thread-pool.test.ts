import { describe, expect, it } from 'vitest';
import { SERVE_THREAD_POOL_SIZE, sizeThreadPool } from '../../src/cli/thread-pool.ts';

describe('libuv thread pool size (issue 20.2)', () => {
  it('gives serve a larger pool', () => {
    const env: NodeJS.ProcessEnv = {};
    sizeThreadPool('serve', env);
    expect(env.UV_THREADPOOL_SIZE).toBe(String(SERVE_THREAD_POOL_SIZE));
  });
  it('keeps an operator-set size and leaves other commands alone', () => {
    const own: NodeJS.ProcessEnv = { UV_THREADPOOL_SIZE: '64' };
    sizeThreadPool('serve', own);
    expect(own.UV_THREADPOOL_SIZE).toBe('64');
    const other: NodeJS.ProcessEnv = {};
    sizeThreadPool('consume', other);
    expect(other.UV_THREADPOOL_SIZE).toBeUndefined();
  });
});
