/**
 * The shared test helpers, one import for every test:
 *   broker.ts      startTestBroker (in-process), startChildBroker (`kstream serve` child from the sources)
 *   process.ts     run, runCli, runKcat, hasKcat, killAndWait, waitForLine, repoRoot, nodeBin, devBin
 *   raw-client.ts  RawClient: one socket speaking the project's codecs, for requests no client lets us forge
 *   port.ts        freePort: a free loopback port for what must be told its port before it starts
 *   random.ts      seededRandom (mulberry32): reproducible randomness from a printed seed
 *   temp.ts        tempDir (removed by closeAll), makeTempDir ({ dir, cleanup })
 *   wait.ts        waitFor / pollFor / eventually (polling with a deadline), settlesWithin, flush, sleep
 *   cleanup.ts     closeAll: stops everything above that a test file started, then removes its temp dirs
 *   cleanup-stack.ts useCleanupStack: per-test undo steps (defer, tempDir) run last-in first-out after each test
 * Domain fixtures (storage batches, coordinator factories, reliability read-back) stay beside their tests.
 */
export { startChildBroker, startTestBroker, type ChildBroker, type ChildBrokerOptions, type TestBroker, type TestBrokerOptions } from './broker.ts';
export { closeAll } from './cleanup.ts';
export { useCleanupStack, type CleanupStack } from './cleanup-stack.ts';
export { devBin, hasKcat, killAndWait, nodeBin, repoRoot, run, runCli, runKcat, waitForLine, type RunResult } from './process.ts';
export { freePort } from './port.ts';
export { seededRandom } from './random.ts';
export { RawClient } from './raw-client.ts';
export { makeTempDir, tempDir, type TempDir } from './temp.ts';
export { eventually, flush, pollFor, settlesWithin, sleep, waitFor, type PollOptions } from './wait.ts';
export { testBrokerContext, testConnection, testRequestContext, type TestBrokerContextParts } from './broker-context.ts';
