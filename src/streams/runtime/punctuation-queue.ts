/** Kafka's PunctuationQueue/PunctuationSchedule: aligned schedules, missed intervals skipped, not replayed. */
import type { Cancellable, Punctuator } from "../processor.ts";

interface Schedule {
  node: string;
  time: number;
  interval: number;
  punctuator: Punctuator;
  cancelled: boolean;
}

export class PunctuationQueue {
  private schedules: Schedule[] = [];

  schedule(node: string, firstTime: number, interval: number, punctuator: Punctuator): Cancellable {
    if (!(interval >= 1)) throw new Error(`The minimum supported scheduling interval is 1 millisecond (got ${interval})`);
    const s: Schedule = { node, time: firstTime, interval, punctuator, cancelled: false };
    this.schedules.push(s);
    return { cancel: () => { s.cancelled = true; } };
  }

  /** Runs every due schedule once with `now`, earliest first; returns whether anything ran. */
  mayPunctuate(now: number, run: (node: string, punctuator: Punctuator, now: number) => void): boolean {
    let ran = false;
    if (this.schedules.length === 0) return false; // the common case, checked per record
    for (;;) {
      this.schedules = this.schedules.filter((s) => !s.cancelled);
      const due = this.schedules.filter((s) => s.time <= now).sort((a, b) => a.time - b.time)[0];
      if (!due) return ran;
      let next = due.time + due.interval;
      if (now >= next) next = due.time + (Math.floor((now - due.time) / due.interval) + 1) * due.interval;
      due.time = next;
      run(due.node, due.punctuator, now);
      ran = true;
    }
  }
}
