import { createRequire } from 'node:module';
import type cliProgress from 'cli-progress';
import { colorsFor } from './colors';

/**
 * cli-progress, loaded by the first progress bar on a terminal: runs without one (tests, pipes, CI,
 * every error) do not load its 16 modules (NOTE(lazy-commands) in cli.ts). It is CommonJS, so a
 * synchronous require.
 */
const progressBars = (): typeof cliProgress =>
  createRequire(import.meta.url)('cli-progress') as typeof cliProgress;

/** Output options shared by every command. */
export interface LogOptions {
  /** Print nothing but errors and final results. */
  quiet?: boolean;
  /** `text` (default) for people, `json` for machines: one JSON object per line. */
  logFormat?: 'text' | 'json';
}

/** Per-step numbers shown by the progress bar. */
export interface StepStats {
  loss: number;
  tokensPerSecond: number;
}

/** How a command talks to the user: lines, JSON events, and a progress bar on a terminal. */
export class Logger {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly tty: boolean;
  #bar: cliProgress.SingleBar | null = null;
  #lastPlain = 0;
  #total = 0;
  #label = '';

  constructor(options: LogOptions = {}, stream: NodeJS.WriteStream = process.stderr) {
    this.json = options.logFormat === 'json';
    this.quiet = options.quiet ?? false;
    this.tty = Boolean(stream.isTTY) && !this.json && !this.quiet;
  }

  /** A line for people (text format only; stdout). */
  info(message: string): void {
    if (!this.json && !this.quiet) console.log(message);
  }

  /** A result every format shows: a line in text (even with --quiet), an event in JSON. */
  result(message: string, event: Record<string, unknown>): void {
    if (this.json) console.log(JSON.stringify(event));
    else console.log(message);
  }

  /** A machine-readable event (JSON format only). */
  event(event: Record<string, unknown>): void {
    if (this.json) console.log(JSON.stringify(event));
  }

  /** A warning on stderr (text) or an event (JSON). */
  warn(message: string): void {
    if (this.json) console.log(JSON.stringify({ event: 'warning', message }));
    else if (!this.quiet) console.error(colorsFor(process.stderr).yellow(`warning: ${message}`));
  }

  /** Starts a progress bar of `total` steps (plain lines on stderr every ~10% when not on a terminal). */
  startProgress(label: string, total: number): void {
    this.#total = total;
    this.#label = label;
    this.#lastPlain = 0;
    if (this.tty) {
      const cliProgress = progressBars();
      this.#bar = new cliProgress.SingleBar(
        {
          format: `${label} ${colorsFor(process.stderr).cyan('{bar}')} {value}/{total} | ETA {eta_formatted} | loss {loss} | {tps} tok/s`,
          hideCursor: true,
          clearOnComplete: true,
          etaBuffer: 20,
        },
        cliProgress.Presets.shades_classic,
      );
      this.#bar.start(total, 0, { loss: '-', tps: '-' });
    }
  }

  /** Advances the progress bar to `done` steps. */
  progress(done: number, stats: StepStats): void {
    const loss = stats.loss.toFixed(4);
    const tps = Math.round(stats.tokensPerSecond).toLocaleString('en-US');
    if (this.#bar) {
      this.#bar.update(done, { loss, tps });
    } else if (
      !this.json &&
      !this.quiet &&
      done - this.#lastPlain >= Math.max(1, Math.ceil(this.#total / 10))
    ) {
      this.#lastPlain = done;
      // progress is not a result: stderr, so piping stdout keeps only results
      console.error(`${this.#label} ${done}/${this.#total} batches  loss ${loss}  ${tps} tok/s`);
    }
  }

  /** Stops (and clears) the progress bar. */
  stopProgress(): void {
    this.#bar?.stop();
    this.#bar = null;
  }
}
