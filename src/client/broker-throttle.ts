/**
 * KIP-219, the client's half: after a response carrying throttle_time_ms > 0, send nothing more to that
 * broker until the time is over. The broker has muted the connection for that long anyway (it reads
 * nothing until then); holding requests here instead keeps their request timeouts from running while
 * they would sit unread, as Kafka's Java client does.
 */
export class BrokerThrottle {
  private readonly until = new Map<number, number>();
  private timer: NodeJS.Timeout | null = null;
  private timerAt = 0;
  private readonly wake: () => void;

  /** `wake` runs when the earliest throttle is over (to send what was held). */
  constructor(wake: () => void) {
    this.wake = wake;
  }

  /** A response from `node` said to wait `ms`. */
  note(node: number, ms: number, now = Date.now()): void {
    if (!(ms > 0)) return;
    const end = now + ms;
    if (end > (this.until.get(node) ?? 0)) this.until.set(node, end);
  }

  /** True while `node` is throttled; then a wake-up is scheduled for when it ends. */
  blocked(node: number, now = Date.now()): boolean {
    const end = this.until.get(node);
    if (end === undefined) return false;
    if (end <= now) {
      this.until.delete(node);
      return false;
    }
    if (this.timer === null || end < this.timerAt) {
      if (this.timer) clearTimeout(this.timer);
      this.timerAt = end;
      this.timer = setTimeout(() => {
        this.timer = null;
        this.wake();
      }, end - now);
    }
    return true;
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.until.clear();
  }
}
