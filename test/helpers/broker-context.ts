/**
 * The broker's handler contexts for tests that call a handler directly (no socket, no dispatch): a
 * complete, typed BrokerContext built from real parts the test owns, and a RequestContext for one call.
 * Tests inject the coordinator, producer ids and storage they want to watch; everything else gets the
 * broker's own defaults, so a handler sees exactly the shape dispatch gives it.
 */
import type { BrokerContext, ConnectionInfo, RequestContext } from '../../src/broker/handler.ts';
import { buildConfig, type BrokerConfig } from '../../src/broker/config.ts';
import { silentLogger, type Logger } from '../../src/broker/logger.ts';
import type { GroupCoordinator } from '../../src/coordinator/group-coordinator.ts';
import type { ProducerIdManager } from '../../src/coordinator/producer-ids.ts';
import type { LogManager } from '../../src/storage/log-manager.ts';

export interface TestBrokerContextParts {
  readonly logs: LogManager;
  readonly coordinator: GroupCoordinator;
  readonly producerIds: ProducerIdManager;
  readonly now: () => number;
  readonly config?: BrokerConfig;
  readonly logger?: Logger;
  readonly nodeId?: number;
  readonly advertisedHost?: string;
  readonly advertisedPort?: number;
  readonly clusterId?: string;
  readonly handlers?: BrokerContext['handlers'];
}

/** A BrokerContext as broker.ts builds it, from the parts a test owns (it closes them itself). */
export function testBrokerContext(parts: TestBrokerContextParts): BrokerContext {
  return {
    nodeId: parts.nodeId ?? 1,
    advertisedHost: parts.advertisedHost ?? '127.0.0.1',
    advertisedPort: parts.advertisedPort ?? 9092,
    clusterId: parts.clusterId ?? 'test-cluster',
    config: parts.config ?? buildConfig(),
    logs: parts.logs,
    coordinator: parts.coordinator,
    producerIds: parts.producerIds,
    handlers: parts.handlers ?? [],
    now: parts.now,
    logger: parts.logger ?? silentLogger,
  };
}

/** An open connection from 127.0.0.1 (it never closes: a handler that long-polls waits its full time). */
export function testConnection(overrides: Partial<ConnectionInfo> = {}): ConnectionInfo {
  return {
    id: 1,
    remoteAddress: '127.0.0.1',
    remotePort: 5555,
    closed: false,
    closedPromise: new Promise<void>(() => {}),
    principal: 'User:ANONYMOUS',
    abort: () => {},
    ...overrides,
  };
}

/**
 * The context of one request as dispatch gives it. Like dispatch, it holds `onResponseSent` callbacks
 * until the response has gone: the test calls `responseSent()` once it has encoded the response.
 */
export function testRequestContext(
  broker: BrokerContext,
  req: { apiKey: number; apiVersion: number; correlationId?: number; clientId?: string | null; connection?: ConnectionInfo },
): RequestContext & { responseSent(): void } {
  const sentCallbacks: (() => void)[] = [];
  return {
    apiKey: req.apiKey,
    apiVersion: req.apiVersion,
    correlationId: req.correlationId ?? 1,
    clientId: req.clientId === undefined ? 'test-client' : req.clientId,
    connection: req.connection ?? testConnection(),
    broker,
    onResponseSent: (callback) => void sentCallbacks.push(callback),
    responseSent: () => {
      for (const cb of sentCallbacks.splice(0)) cb();
    },
  };
}
