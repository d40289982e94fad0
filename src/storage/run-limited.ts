/**
 * Runs async jobs with at most `limit` in flight: opening or flushing thousands of partitions at once
 * would exhaust file handles and starve the event loop; one at a time would serialize on fsync latency.
 */
export async function runLimited(jobs: (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) await jobs[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
}
