import { exitAfterWrites, writing } from './atomic-write';
import { messages, type StopSignal } from './messages';

/** The exit code of a run stopped by `signal`: 128 + its number, as a shell reports it. */
export const exitCodeOf = (signal: StopSignal): number => (signal === 'SIGINT' ? 130 : 143);

/**
 * Ctrl-C (SIGINT) and SIGTERM during training: the first asks the loop to stop at the next safe
 * point (after the current step) with a checkpoint; a second one exits without that checkpoint,
 * but never in the middle of a write: if a file is being written, the exit waits until it is
 * complete (atomic-write.ts), so the run directory always holds the last complete checkpoint.
 */
export class StopSignals {
  /** Set by the first signal; the training loop checks it after every step. */
  requested = false;
  /** The first signal received, or null. */
  signal: StopSignal | null = null;
  #doneDir: string | null = null;
  readonly #onSigint = () => this.#receive('SIGINT');
  readonly #onSigterm = () => this.#receive('SIGTERM');

  /** Starts handling SIGINT and SIGTERM. */
  install(): this {
    process.on('SIGINT', this.#onSigint);
    process.on('SIGTERM', this.#onSigterm);
    return this;
  }

  /** Gives SIGINT and SIGTERM back to their default handling. */
  uninstall(): void {
    process.off('SIGINT', this.#onSigint);
    process.off('SIGTERM', this.#onSigterm);
  }

  /** The exit code for the first signal received (130 for Ctrl-C, 143 for SIGTERM). */
  get exitCode(): number {
    return exitCodeOf(this.signal ?? 'SIGINT');
  }

  /**
   * Training is over and checkpointed: from now on a signal exits at once, except during a write,
   * which it waits for.
   */
  trainingDone(dir: string): void {
    this.#doneDir = dir;
  }

  #receive(signal: StopSignal): void {
    if (this.#doneDir !== null) {
      console.error(messages.stoppedAfterTraining(signal, this.#doneDir));
      exitAfterWrites(exitCodeOf(signal));
      return;
    }
    if (this.requested) {
      console.error(
        writing() ? messages.secondInterruptWhileWriting(signal) : messages.secondInterrupt(signal),
      );
      exitAfterWrites(exitCodeOf(signal));
      return;
    }
    this.requested = true;
    this.signal = signal;
    console.error(messages.stopping(signal));
  }
}
