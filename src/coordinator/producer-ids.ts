import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode } from '../protocol/error-codes.ts';

/**
 * InitProducerId (API 22) for idempotent producers: hands out producer ids that are never reused,
 * even across restarts. Ids are reserved in blocks (Kafka's ProducerIdManager). Where a block comes
 * from is a `ProducerIdBlockSource`:
 * - a single node: this file's own — only the end of the reserved range is persisted
 *   (`<dir>/producer-ids`, written to a temp file, fsync'd and renamed), so a restart skips the rest of
 *   the block it crashed in rather than ever handing an id out twice;
 * - a cluster: the metadata store's compare-and-set on the one key holding the latest block (Kafka's
 *   AllocateProducerIds), so no two brokers ever hand out the same id — two producers sharing an id
 *   would have the second's batches dropped as duplicates of the first's.
 */

export class ProducerIdError extends Error {
  override name = 'ProducerIdError';
}

export interface InitProducerIdParams {
  transactionalId: string | null;
  /** v3+: the caller's current id/epoch (KIP-360), else -1 / -1. */
  producerId: bigint;
  producerEpoch: number;
}

export interface InitProducerIdResult {
  errorCode: number;
  producerId: bigint;
  producerEpoch: number;
}

const FILE = 'producer-ids';
/** Epochs are int16; Kafka hands out a new id rather than reach Short.MAX_VALUE. */
const MAX_EPOCH = 0x7fff - 1;

/**
 * No block can be had right now (the cluster's metadata store is unreachable): retriable, answered
 * COORDINATOR_LOAD_IN_PROGRESS as Kafka's RPCProducerIdManager does while it waits for a block.
 */
export class ProducerIdBlockUnavailableError extends ProducerIdError {
  override name = 'ProducerIdBlockUnavailableError';
}

/** The error code for a failed allocation: retriable when the block source is only unavailable. */
export function allocationErrorCode(e: unknown): number {
  return e instanceof ProducerIdBlockUnavailableError ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.UNKNOWN_SERVER_ERROR;
}

/** Where blocks of producer ids come from. */
export interface ProducerIdBlockSource {
  /** Reserves a block of `size` ids that nobody else will ever hand out; returns its first id. */
  nextBlock(size: number): Promise<bigint>;
  /** Whether `id` may have been handed out by anyone so far (KIP-360 epoch bumps of presented ids). */
  everIssued(id: bigint): Promise<boolean>;
}

export class ProducerIdManager {
  /** The file a single node keeps its reservations in ('' when blocks come from elsewhere). */
  readonly path: string;
  readonly blockSize: number;
  readonly #fsync: boolean;
  readonly #source: ProducerIdBlockSource;
  #next: bigint;
  #blockEnd: bigint;
  #reserving: Promise<void> | null = null;

  private constructor(path: string, start: bigint, blockSize: number, fsync: boolean, source?: ProducerIdBlockSource) {
    this.path = path;
    this.#next = start;
    this.#blockEnd = start;
    this.blockSize = blockSize;
    this.#fsync = fsync;
    this.#source = source ?? {
      nextBlock: async (size) => {
        const first = this.#blockEnd;
        await this.#persist(first + BigInt(size));
        return first;
      },
      everIssued: async (id) => id < this.#blockEnd,
    };
  }

  /** A manager whose blocks come from `source` (a cluster's metadata store); nothing is kept locally. */
  static fromBlocks(source: ProducerIdBlockSource, opts: { blockSize?: number } = {}): ProducerIdManager {
    return new ProducerIdManager('', 0n, opts.blockSize ?? 1000, false, source);
  }

  /** `dir` is the broker's metadata directory, e.g. `<dataDir>/__kstream_meta`. */
  static async open(dir: string, opts: { blockSize?: number; fsync?: boolean } = {}): Promise<ProducerIdManager> {
    await mkdir(dir, { recursive: true });
    const path = join(dir, FILE);
    let start = 0n;
    try {
      const text = (await readFile(path, 'utf8')).trim();
      const parsed = JSON.parse(text) as { version?: number; nextBlockStart?: string };
      if (parsed.version !== 1 || typeof parsed.nextBlockStart !== 'string' || !/^\d+$/.test(parsed.nextBlockStart)) {
        throw new ProducerIdError(`${path}: unrecognised content ${JSON.stringify(text.slice(0, 80))}`);
      }
      start = BigInt(parsed.nextBlockStart);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        if (e instanceof ProducerIdError) throw e;
        throw new ProducerIdError(`cannot read ${path}: ${(e as Error).message}`);
      }
    }
    return new ProducerIdManager(path, start, opts.blockSize ?? 1000, opts.fsync ?? true);
  }

  /** The first id the next reservation would start at (what is on disk after the current block). */
  get reservedUpTo(): bigint {
    return this.#blockEnd;
  }

  async allocate(): Promise<bigint> {
    while (this.#next >= this.#blockEnd) {
      if (!this.#reserving) {
        this.#reserving = this.#source
          .nextBlock(this.blockSize)
          .then((first) => {
            this.#next = first;
            this.#blockEnd = first + BigInt(this.blockSize);
          })
          .finally(() => {
            this.#reserving = null;
          });
      }
      await this.#reserving;
    }
    return this.#next++;
  }

  async #persist(end: bigint): Promise<void> {
    const tmp = `${this.path}.tmp`;
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(`${JSON.stringify({ version: 1, nextBlockStart: end.toString() })}\n`);
      if (this.#fsync) await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.path);
    if (this.#fsync) {
      try {
        const d = await open(join(this.path, '..'), 'r');
        await d.sync();
        await d.close();
      } catch {
        // fsync on a directory is not supported everywhere; the rename is still atomic.
      }
    }
  }

  /**
   * The idempotent producer's InitProducerId (null transactional id): a fresh id with epoch 0, or
   * (v3+, KIP-360) its epoch bumped when the client presents the id/epoch it holds. A transactional id
   * goes to the TransactionCoordinator instead (the handler routes it); reaching here with one is a bug.
   */
  async initProducerId(p: InitProducerIdParams): Promise<InitProducerIdResult> {
    if (p.transactionalId !== null) throw new ProducerIdError('a transactional id is the transaction coordinator\'s: route InitProducerId there');
    if (p.producerId >= 0n && p.producerEpoch >= 0) {
      let issued: boolean;
      try {
        issued = await this.#source.everIssued(p.producerId);
      } catch (e) {
        if (e instanceof ProducerIdBlockUnavailableError) return { errorCode: allocationErrorCode(e), producerId: -1n, producerEpoch: -1 };
        throw e;
      }
      if (!issued) {
        // Not an id ever issued.
        return { errorCode: ErrorCode.INVALID_PRODUCER_ID_MAPPING, producerId: -1n, producerEpoch: -1 };
      }
      if (p.producerEpoch < MAX_EPOCH) return { errorCode: ErrorCode.NONE, producerId: p.producerId, producerEpoch: p.producerEpoch + 1 };
    }
    try {
      return { errorCode: ErrorCode.NONE, producerId: await this.allocate(), producerEpoch: 0 };
    } catch (e) {
      if (e instanceof ProducerIdBlockUnavailableError) return { errorCode: allocationErrorCode(e), producerId: -1n, producerEpoch: -1 };
      throw e;
    }
  }
}
