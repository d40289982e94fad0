import { Gate, type TaskEnv, type TaskState, type WorkerTask } from './task-env.ts';

/**
 * The lifecycle every worker task shares (Kafka's WorkerTask): start runs the task's loop once,
 * pause closes a gate the loop waits at, resume opens it, stop asks the loop to end and waits for it;
 * a loop that throws leaves the task FAILED with its trace (GET /connectors/{name}/status shows it).
 * Subclasses write `run()` — the poll/put loop — and check `stopping` and `gate` in it.
 */
export abstract class TaskLifecycle implements WorkerTask {
  readonly id: number;
  state: TaskState = 'UNASSIGNED';
  trace: string | null = null;
  readonly topics = new Set<string>();
  protected readonly env: TaskEnv;
  protected readonly gate = new Gate();
  protected stopping = false;
  private loop: Promise<void> | null = null;

  constructor(env: TaskEnv) {
    this.env = env;
    this.id = env.taskId;
  }

  /** The task's loop: returns when `stopping` is set (after committing what it can). */
  protected abstract run(): Promise<void>;

  /** Called by stop() after `stopping` is set, to wake a loop blocked somewhere other than the gate. */
  protected interruptForStop(): void {}

  start(): void {
    this.loop = this.run().catch((e: Error) => this.fail(e));
  }

  protected fail(e: Error): void {
    this.state = 'FAILED';
    this.trace = e.stack ?? e.message;
    this.env.log(`task ${this.env.connector}-${this.id} failed: ${e.message}`);
  }

  pause(): void {
    this.gate.close();
    if (this.state === 'RUNNING') this.state = 'PAUSED';
  }

  resume(): void {
    this.gate.release();
    if (this.state === 'PAUSED') this.state = 'RUNNING';
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.gate.release();
    this.interruptForStop();
    await this.loop;
  }
}
