// End-to-end crash safety: the trainer is killed with SIGKILL at random moments (seeded; the seed
// is in every failure message, and SEQLAB_KILL_SEED=<seed> repeats a plan), among them inside
// every step of a checkpoint write (the test hook of src/fault-injection.ts), and each time the
// recovery a user would run (`seqlab train --resume DIR`, or the same command again when the run
// had not started) ends with exactly the metrics, history, steps and model.safetensors bytes of the
// run left alone, and leaves no temporary or orphaned file behind.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, readJsonFile, readJsonLines, requireBuiltCli, runCli, TempDirs } from './cli-harness';

const temp = new TempDirs();
beforeAll(requireBuiltCli);
afterAll(() => temp.cleanup());

const SEED = Number(process.env.SEQLAB_KILL_SEED ?? Math.floor(Math.random() * 2 ** 31));

/** mulberry32: a small seeded generator for the kill plan. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Tiny: 63 training examples in 8 batches, 3 epochs, so a whole run is mostly process start-up.
const CONFIG = [
  '--train',
  fixture('topics.csv'),
  '--hidden',
  '6',
  '--embed',
  '6',
  '--epochs',
  '3',
  '--max-len',
  '12',
  '--batch-size',
  '8',
  '--patience',
  '5',
  '--seed',
  '1', // valid accuracy improves in every epoch: each checkpoint replaces the best weights too
];
const TRACE = { SEQLAB_TEST_FAULT_TRACE: '1' };

/** What must be equal between the uninterrupted and the recovered run. */
async function outcome(dir: string) {
  const { seconds: _, ...metrics } = await readJsonFile<Record<string, unknown>>(join(dir, 'metrics.json'));
  const history = (await readJsonLines<Record<string, number>>(join(dir, 'history.jsonl'))).map(
    ({ seconds: _s, tokens_per_s: _t, ...h }) => h,
  );
  // steps.jsonl has no wall times: every line equal, none repeated or missing.
  const steps = await readJsonLines(join(dir, 'steps.jsonl'));
  const model = (await readFile(join(dir, 'model.safetensors'))).toString('base64');
  return { metrics, history, steps, model };
}

/** The run directory holds the run's files and exactly the checkpoint files state.json names. */
async function expectTidy(dir: string, why: string): Promise<void> {
  const top = await readdir(dir);
  expect(
    top.filter((n) => n.endsWith('.tmp')),
    why,
  ).toEqual([]);
  const { files } = await readJsonFile<{ files: Record<string, { name: string } | null> }>(
    join(dir, 'checkpoint/state.json'),
  );
  const named = Object.values(files).flatMap((f) => (f ? [f.name] : []));
  expect((await readdir(join(dir, 'checkpoint'))).sort(), why).toEqual(
    [...new Set(['state.json', ...named])].sort(),
  );
}

interface Trace {
  step: number;
  label: string;
}

const traceOf = (stderr: string): Trace[] =>
  [...stderr.matchAll(/^seqlab-test-fault-point (\d+) (.+)$/gm)].map((m) => ({
    step: Number(m[1]),
    label: m[2],
  }));

describe('seqlab train: SIGKILL at any moment, then recovery', () => {
  it('ends exactly like the uninterrupted run after each of 20+ kills', { timeout: 300_000 }, async () => {
    const root = await temp.make();
    const full = join(root, 'full');
    const ref = await runCli(['--quiet', 'train', ...CONFIG, '--out', full], { env: TRACE });
    expect(ref.code, ref.stderr).toBe(0);
    const expected = await outcome(full);
    const trace = traceOf(ref.stderr);
    // Every write step of the run: run files, three checkpoints, the outputs.
    expect(trace.length).toBeGreaterThan(40);

    // The plan: one kill inside each kind of checkpoint step (at a random checkpoint), random
    // write steps, and random times (which land anywhere: start-up, training, evaluation).
    const draw = random(SEED);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(draw() * xs.length)];
    const kinds = [...new Set(trace.map((t) => t.label).filter((l) => l.startsWith('checkpoint/')))];
    expect(kinds).toEqual(
      expect.arrayContaining([
        'checkpoint/model.<id>.safetensors written',
        'checkpoint/optimizer.<id>.safetensors synced',
        'checkpoint/best.<id>.safetensors renamed',
        'checkpoint/state.json written',
        'checkpoint/state.json renamed',
        'checkpoint/state.json committed',
        'checkpoint/model.<id>.safetensors (previous) removed',
        'checkpoint/best.<id>.safetensors (previous) removed',
      ]),
    );
    const kills: { name: string; env?: Record<string, string>; afterMs?: number; resumeKillAt?: number }[] =
      [];
    for (const kind of kinds) {
      const at = pick(trace.filter((t) => t.label === kind)).step;
      kills.push({ name: `step ${at} (${kind})`, env: { SEQLAB_TEST_KILL_AT: String(at) } });
    }
    for (let i = 0; i < 6; i++) {
      const at = pick(trace);
      kills.push({ name: `step ${at.step} (${at.label})`, env: { SEQLAB_TEST_KILL_AT: String(at.step) } });
    }
    for (let i = 0; i < 6; i++) {
      const ms = Math.round(150 + draw() * 1500);
      kills.push({ name: `${ms} ms after start`, afterMs: ms });
    }
    // Killed again while recovering.
    for (let i = 0; i < 2; i++) {
      const at = pick(trace.filter((t) => t.label.startsWith('checkpoint/'))).step;
      const again = 1 + Math.floor(draw() * 12);
      kills.push({
        name: `step ${at}, then at step ${again} of the resume`,
        env: { SEQLAB_TEST_KILL_AT: String(at) },
        resumeKillAt: again,
      });
    }
    expect(kills.length).toBeGreaterThanOrEqual(20);

    const recover = async (dir: string, env: Record<string, string> = {}) => {
      const started = await readdir(dir).then(
        (names) => names.includes('config.json'),
        () => false,
      );
      // A run killed before it started (no config.json) is started again by the same command.
      const args = started ? ['train', '--resume', dir] : ['train', ...CONFIG, '--out', dir];
      return runCli(['--quiet', ...args], { env });
    };

    await Promise.all(
      kills.map(async (kill, i) => {
        const why = `kill "${kill.name}" (seed ${SEED}; repeat with SEQLAB_KILL_SEED=${SEED})`;
        const dir = join(root, `kill-${i}`);
        const killed = await runCli(['--quiet', 'train', ...CONFIG, '--out', dir], {
          ...(kill.env ? { env: kill.env } : {}),
          ...(kill.afterMs !== undefined ? { killAfterMs: kill.afterMs } : {}),
        });
        if (kill.env) expect(killed.signal, why).toBe('SIGKILL');
        if (kill.resumeKillAt !== undefined) {
          const again = await recover(dir, { SEQLAB_TEST_KILL_AT: String(kill.resumeKillAt) });
          expect(again.signal, `${why}: the resume was not killed`).toBe('SIGKILL');
        }
        const r = await recover(dir);
        expect(r.stderr, why).toBe('');
        expect(r.code, why).toBe(0);
        expect(await outcome(dir), why).toEqual(expected);
        await expectTidy(dir, why);
      }),
    );
  });
});
