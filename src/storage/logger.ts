/** What storage logs through: structurally the broker's Logger (src/broker/logger.ts). */
export interface StorageLogger {
  debug?(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Default when none is injected: warnings and errors to stderr, nothing else. */
export const stderrLogger: StorageLogger = {
  info() {},
  warn: (m) => process.stderr.write(`WARN storage: ${m}\n`),
  error: (m) => process.stderr.write(`ERROR storage: ${m}\n`),
};
