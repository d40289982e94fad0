/**
 * Kafka's quota measurement: a `Rate` over a `WindowedSum` (org.apache.kafka.common.metrics.stats),
 * the metric every client quota sensor carries. Values are summed into time samples of `windowMs`
 * each, `samples` of them kept (Kafka's defaults: quota.window.num=11, quota.window.size.seconds=1,
 * "10 whole windows + 1 current window"); the rate is the sum over the retained samples divided by the
 * elapsed window, which is never counted as less than `samples - 1` whole windows (so one burst right
 * after start is not measured over a few milliseconds). Pure: time is passed in.
 */

interface Sample {
  value: number;
  startMs: number;
  lastEventMs: number;
}

export interface RateConfig {
  /** quota.window.num */
  readonly samples: number;
  /** quota.window.size.seconds × 1000 */
  readonly windowMs: number;
}

export class SampledRate {
  private readonly samples: Sample[] = [];
  /** Index of the sample being filled. */
  private current = 0;
  private readonly config: RateConfig;

  constructor(config: RateConfig) {
    this.config = config;
  }

  /** SampledStat.record: adds `value` to the current sample, starting a new one when its window is over. */
  record(value: number, nowMs: number): void {
    let sample = this.currentSample(nowMs);
    if (nowMs - sample.startMs >= this.config.windowMs) sample = this.advance(nowMs);
    sample.value += value;
    sample.lastEventMs = nowMs;
  }

  /** Rate.measure: the windowed sum per second. */
  measure(nowMs: number): number {
    this.purgeObsolete(nowMs);
    let total = 0;
    for (const s of this.samples) total += s.value;
    return total / (this.windowSize(nowMs) / 1000);
  }

  /**
   * Rate.windowSize: ms since the oldest retained sample started, at least `samples - 1` whole windows
   * (plus whatever of the current one has passed), and at least 1 ms.
   */
  windowSize(nowMs: number): number {
    this.purgeObsolete(nowMs);
    let total = nowMs - this.oldest(nowMs).startMs;
    const fullWindows = Math.floor(total / this.config.windowMs);
    const minFullWindows = this.config.samples - 1;
    if (fullWindows < minFullWindows) total += (minFullWindows - fullWindows) * this.config.windowMs;
    return Math.max(total, 1);
  }

  /** True once no sample holds anything recorded within the last `samples` windows (the sensor may go). */
  idle(nowMs: number): boolean {
    return this.samples.every((s) => nowMs - s.lastEventMs >= this.config.samples * this.config.windowMs);
  }

  private currentSample(nowMs: number): Sample {
    if (this.samples.length === 0) this.samples.push({ value: 0, startMs: nowMs, lastEventMs: nowMs });
    return this.samples[this.current]!;
  }

  /** One extra slot beyond `samples` holds the sample overlapping the window's start, as Kafka keeps. */
  private advance(nowMs: number): Sample {
    this.current = (this.current + 1) % (this.config.samples + 1);
    if (this.current >= this.samples.length) {
      const s = { value: 0, startMs: nowMs, lastEventMs: nowMs };
      this.samples.push(s);
      return s;
    }
    const s = this.samples[this.current]!;
    reset(s, nowMs);
    return s;
  }

  private oldest(nowMs: number): Sample {
    let oldest = this.currentSample(nowMs);
    for (const s of this.samples) if (s.startMs < oldest.startMs) oldest = s;
    return oldest;
  }

  /** Samples with no event within the whole monitored span are reset (those overlapping it stay). */
  private purgeObsolete(nowMs: number): void {
    const expireAge = this.config.samples * this.config.windowMs;
    for (const s of this.samples) if (nowMs - s.lastEventMs >= expireAge) reset(s, nowMs);
  }
}

function reset(s: Sample, nowMs: number): void {
  s.value = 0;
  s.startMs = nowMs;
  s.lastEventMs = nowMs;
}
