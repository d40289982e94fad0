import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode } from '../protocol/error-codes.ts';

/**
 * InitProducerId (API 22) for idempotent producers: hands out producer ids that are never reused,
 * even across restarts. Ids are reserved in blocks; only the end of the reserved range is persisted
 * (`<dir>/producer-ids`, written to a temp file, fsync'd and renamed), so a restart skips the rest of
 * the block it crashed in rather than ever handing an id out twice.
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

export class ProducerIdManager {
  readonly path: string;
  readonly blockSize: number;
  readonly #fsync: boolean;
  #next: bigint;
  #blockEnd: bigint;
  #reserving: Promise<void> | null = null;

  private constructor(path: string, start: bigint, blockSize: number, fsync: boolean) {
    this.path = path;
    this.#next = start;
    this.#blockEnd = start;
    this.blockSize = blockSize;
    this.#fsync = fsync;
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
        this.#reserving = this.#reserve(this.#blockEnd + BigInt(this.blockSize)).finally(() => {
          this.#reserving = null;
        });
      }
      await this.#reserving;
    }
    return this.#next++;
  }

  async #reserve(end: bigint): Promise<void> {
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
    this.#blockEnd = end;
  }

  /**
   * The idempotent producer's InitProducerId (null transactional id): a fresh id with epoch 0, or
   * (v3+, KIP-360) its epoch bumped when the client presents the id/epoch it holds. A transactional id
   * goes to the TransactionCoordinator instead (the handler routes it); reaching here with one is a bug.
   */
  async initProducerId(p: InitProducerIdParams): Promise<InitProducerIdResult> {
    if (p.transactionalId !== null) throw new ProducerIdError('a transactional id is the transaction coordinator\'s: route InitProducerId there');
    if (p.producerId >= 0n && p.producerEpoch >= 0) {
      if (p.producerId >= this.#blockEnd) {
        // Not an id this broker ever issued.
        return { errorCode: ErrorCode.INVALID_PRODUCER_ID_MAPPING, producerId: -1n, producerEpoch: -1 };
      }
      if (p.producerEpoch < MAX_EPOCH) return { errorCode: ErrorCode.NONE, producerId: p.producerId, producerEpoch: p.producerEpoch + 1 };
    }
    return { errorCode: ErrorCode.NONE, producerId: await this.allocate(), producerEpoch: 0 };
  }
}
