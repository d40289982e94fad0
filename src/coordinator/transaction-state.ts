/**
 * Kafka's transaction states (kafka.coordinator.transaction.TransactionState, 3.9). The numeric ids are
 * what `__transaction_state` stores in TransactionLogValue.TransactionStatus, and the names are what
 * DescribeTransactions / ListTransactions report, so both must stay exactly as Kafka has them.
 */
export const TxnState = {
  Empty: 0,
  Ongoing: 1,
  PrepareCommit: 2,
  PrepareAbort: 3,
  CompleteCommit: 4,
  CompleteAbort: 5,
  Dead: 6,
  PrepareEpochFence: 7,
} as const;
export type TxnState = (typeof TxnState)[keyof typeof TxnState];

const NAMES: readonly string[] = [
  'Empty',
  'Ongoing',
  'PrepareCommit',
  'PrepareAbort',
  'CompleteCommit',
  'CompleteAbort',
  'Dead',
  'PrepareEpochFence',
];

/** The state a transition may start from, per target state (Kafka's validPreviousStates). */
const VALID_PREVIOUS: Record<TxnState, readonly TxnState[]> = {
  [TxnState.Empty]: [TxnState.Empty, TxnState.CompleteCommit, TxnState.CompleteAbort],
  [TxnState.Ongoing]: [TxnState.Ongoing, TxnState.Empty, TxnState.CompleteCommit, TxnState.CompleteAbort],
  [TxnState.PrepareCommit]: [TxnState.Ongoing],
  [TxnState.PrepareAbort]: [TxnState.Ongoing, TxnState.PrepareEpochFence],
  [TxnState.CompleteCommit]: [TxnState.PrepareCommit],
  [TxnState.CompleteAbort]: [TxnState.PrepareAbort],
  [TxnState.Dead]: [TxnState.Empty, TxnState.CompleteAbort, TxnState.CompleteCommit],
  [TxnState.PrepareEpochFence]: [TxnState.Ongoing],
};

export class TransactionStateError extends Error {
  override name = 'TransactionStateError';
}

export function txnStateName(s: TxnState): string {
  return NAMES[s]!;
}

/** Parses a state name as DescribeTransactions/ListTransactions spell it; undefined if unknown. */
export function txnStateFromName(name: string): TxnState | undefined {
  const i = NAMES.indexOf(name);
  return i < 0 ? undefined : (i as TxnState);
}

/** Parses the stored TransactionStatus byte; throws on an id Kafka does not define (a corrupt log). */
export function txnStateFromId(id: number): TxnState {
  if (!Number.isInteger(id) || id < 0 || id >= NAMES.length) throw new TransactionStateError(`unknown transaction state id ${id}`);
  return id as TxnState;
}

export function isValidTransition(from: TxnState, to: TxnState): boolean {
  return VALID_PREVIOUS[to].includes(from);
}

/** Only finished (or never started) transactions let their transactional id expire. */
export function isExpirationAllowed(s: TxnState): boolean {
  return s === TxnState.Empty || s === TxnState.CompleteCommit || s === TxnState.CompleteAbort;
}
