import { statfs } from 'node:fs/promises';
import { ErrorCode } from '../../protocol/error-codes.ts';
import { DescribeLogDirsApi, type DescribeLogDirsRequest, type DescribeLogDirsResponseInput, type DescribeLogDirsResponseTopicsInput } from '../../protocol/messages/describe-log-dirs.ts';
import { allowedOnCluster, Op } from '../authorize.ts';
import type { ApiHandler, RequestContext } from '../handler.ts';

/**
 * DescribeLogDirs (35), v0–4: this broker's one log directory (the data dir) with the size of each
 * partition it holds and, v4+, the directory's total and usable bytes. offsetLag is Kafka's lag of a
 * future (being-moved) replica: there are none, so 0. Null topics = every partition held here.
 *
 * Needs DESCRIBE on the cluster (KafkaApis): else no results and, v3+, CLUSTER_AUTHORIZATION_FAILED at
 * the top (v0–2 have no top-level code: the refusal is the empty answer).
 */
export const describeLogDirs: ApiHandler<typeof DescribeLogDirsApi> = {
  api: DescribeLogDirsApi,
  minVersion: 0,
  maxVersion: 4,
  async handle(req: DescribeLogDirsRequest, ctx: RequestContext): Promise<DescribeLogDirsResponseInput> {
    if (!allowedOnCluster(ctx, Op.DESCRIBE)) return describeLogDirs.errorResponse!(req, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, ctx)!;
    const logs = ctx.broker.logs;
    const topics: DescribeLogDirsResponseTopicsInput[] = [];
    const wanted = req.topics ?? logs.listTopics().map((t) => ({ topic: t.name, partitions: Array.from({ length: t.partitionCount }, (_, i) => i) }));
    for (const w of wanted) {
      const partitions = [];
      for (const p of w.partitions) {
        const log = logs.partition(w.topic, p);
        if (log) partitions.push({ partitionIndex: p, partitionSize: BigInt(log.size), offsetLag: 0n, isFutureKey: false });
      }
      if (partitions.length > 0) topics.push({ name: w.topic, partitions });
    }
    let totalBytes = -1n;
    let usableBytes = -1n;
    try {
      const s = await statfs(logs.dataDir, { bigint: true });
      totalBytes = s.blocks * s.bsize;
      usableBytes = s.bavail * s.bsize;
    } catch {
      /* left at -1: unknown, as Kafka reports when it cannot tell */
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, results: [{ errorCode: ErrorCode.NONE, logDir: logs.dataDir, topics, totalBytes, usableBytes }] };
  },
  errorResponse(_req: DescribeLogDirsRequest, errorCode: number) {
    return { throttleTimeMs: 0, errorCode, results: [] };
  },
};
