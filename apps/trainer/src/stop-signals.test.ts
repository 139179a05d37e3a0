import { afterEach, describe, expect, it, vi } from 'vitest';
import { critical } from './atomic-write';
import { StopSignals } from './stop-signals';

afterEach(() => vi.restoreAllMocks());

describe('StopSignals', () => {
  it('SIGTERM, like Ctrl-C, asks for a stop at the next safe point; the exit code says which', () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    for (const [signal, code] of [
      ['SIGINT', 130],
      ['SIGTERM', 143],
    ] as const) {
      const stop = new StopSignals().install();
      try {
        process.emit(signal);
        expect(stop.requested).toBe(true);
        expect(stop.signal).toBe(signal);
        expect(stop.exitCode).toBe(code);
      } finally {
        stop.uninstall();
      }
    }
    expect(process.listenerCount('SIGTERM')).toBe(0);
  });

  it('a second signal during a write exits only after the write', async () => {
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: string) => errors.push(line));
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const stop = new StopSignals().install();
    try {
      process.emit('SIGINT');
      await critical(async () => {
        process.emit('SIGINT');
        expect(exit).not.toHaveBeenCalled();
      });
      expect(exit).toHaveBeenCalledWith(130);
      expect(errors).toEqual([
        'Ctrl-C: finishing the current step, then writing a checkpoint (Ctrl-C again to quit now)',
        'second Ctrl-C: exiting as soon as the file being written is complete',
      ]);
    } finally {
      stop.uninstall();
    }
  });

  it('after training, a first signal exits (after the write in progress) with the way to finish', async () => {
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: string) => errors.push(line));
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const stop = new StopSignals().install();
    try {
      stop.trainingDone('/runs/x');
      await critical(async () => {
        process.emit('SIGTERM');
        expect(exit).not.toHaveBeenCalled();
      });
      expect(exit).toHaveBeenCalledWith(143);
      expect(errors).toEqual([
        'SIGTERM: exiting; the training is complete and checkpointed (seqlab train --resume /runs/x writes the results)',
      ]);
    } finally {
      stop.uninstall();
    }
  });
});
