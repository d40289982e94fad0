import { GroupCoordinator, type CoordinatorConfig, type JoinGroupParams, type SyncGroupParams } from '../../src/coordinator/group-coordinator.ts';
import type { OffsetLog } from '../../src/coordinator/offset-log.ts';
import { MemoryOffsetLog } from '../../src/coordinator/offset-log.ts';
import { ManualScheduler } from '../../src/coordinator/scheduler.ts';
import type { RunningBroker } from '../../src/broker/broker.ts';
import { flush, startChildBroker, startTestBroker, type ChildBroker } from '../helpers/index.ts';

/** Wraps a promise so a test can ask whether it has settled yet, without awaiting it. */
export function track<T>(p: Promise<T>): { readonly done: boolean; readonly value: T; promise: Promise<T> } {
  const s = { done: false, value: undefined as T, promise: p };
  void p.then((v) => {
    s.done = true;
    s.value = v;
  });
  return s;
}

/** ConsumerProtocolSubscription v0 bytes for the given topics. */
export function subscription(topics: string[], userData = Buffer.alloc(0)): Buffer {
  const parts: Buffer[] = [];
  const head = Buffer.alloc(6);
  head.writeInt16BE(0, 0);
  head.writeInt32BE(topics.length, 2);
  parts.push(head);
  for (const t of topics) {
    const b = Buffer.from(t, 'utf8');
    const len = Buffer.alloc(2);
    len.writeInt16BE(b.length);
    parts.push(len, b);
  }
  const ud = Buffer.alloc(4);
  ud.writeInt32BE(userData.length);
  parts.push(ud, userData);
  return Buffer.concat(parts);
}

export async function makeCoordinator(config: Partial<CoordinatorConfig> = {}, log: OffsetLog = new MemoryOffsetLog()) {
  const scheduler = new ManualScheduler();
  const gc = await GroupCoordinator.load(log, { scheduler, config: { initialRebalanceDelayMs: 0, ...config } });
  const join = (p: Partial<JoinGroupParams>) =>
    gc.joinGroup({
      groupId: 'g',
      memberId: '',
      groupInstanceId: null,
      requireKnownMemberId: false,
      supportsSkipAssignment: false,
      clientId: 'client',
      clientHost: '/127.0.0.1',
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 30_000,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: subscription(['t']) }],
      ...p,
    });
  const sync = (p: Partial<SyncGroupParams> & { memberId: string; generationId: number }) =>
    gc.syncGroup({ groupId: 'g', groupInstanceId: null, protocolType: null, protocolName: null, assignments: [], ...p });
  /** Advances the fake clock and lets the promise callbacks it triggered run. */
  const advance = async (ms: number) => {
    scheduler.advance(ms);
    await flush();
  };
  return { gc, scheduler, log, join, sync, advance };
}

/** Group settings for broker-level group tests: no initial rebalance delay, short session timeouts allowed. */
export const TEST_GROUP_SETTINGS: Readonly<Record<string, string>> = {
  'group.initial.rebalance.delay.ms': '0',
  'group.min.session.timeout.ms': '1000',
};

/** An in-process broker (test/helpers startTestBroker) with TEST_GROUP_SETTINGS on `dataDir`. */
export async function startGroupBroker(dataDir: string, overrides: Record<string, string> = {}, port = 0): Promise<RunningBroker> {
  const b = await startTestBroker({ dataDir, port, config: { ...TEST_GROUP_SETTINGS, ...overrides } });
  return b.broker;
}

/** `kstream serve` (test/helpers startChildBroker, current sources) with TEST_GROUP_SETTINGS on `dataDir`, so it can be killed with SIGKILL. */
export function spawnGroupBroker(dataDir: string, args: string[] = [], port = 0): Promise<ChildBroker> {
  const settings = Object.entries(TEST_GROUP_SETTINGS).flatMap(([k, v]) => ['--config', `${k}=${v}`]);
  return startChildBroker({ dataDir, port, args: ['--log-level', 'warn', ...settings, ...args], timeoutMs: 30_000 });
}
