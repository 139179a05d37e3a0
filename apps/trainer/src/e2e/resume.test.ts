// End-to-end: Ctrl-C in the middle of an epoch writes a checkpoint and exits 130, and
// `seqlab train --resume DIR` then ends with exactly the metrics, history and weights of the same
// run left uninterrupted.
import { readdirSync } from 'node:fs';
import { cp, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CliResult,
  collect,
  fixture,
  lines,
  readJsonFile,
  readJsonLines,
  readWeights,
  requireBuiltCli,
  runCli,
  spawnCli,
  TempDirs,
} from './cli-harness';

const temp = new TempDirs();
beforeAll(requireBuiltCli);
afterAll(() => temp.cleanup());

// Big enough that a batch takes a few ms and an epoch is 32 batches (63 train examples, batches of
// 2), with two stacked layers so that dropout draws from the random generator the checkpoint must
// restore, and a per-batch learning-rate schedule (OneCycleLR) whose state it must restore too.
// SIGINT goes out at batch 4 of epoch 2, leaving 28 batches for it to arrive mid-epoch.
const CONFIG = [
  '--train',
  'topics.csv',
  '--model',
  'lstm',
  '--layers',
  '2',
  '--dropout',
  '0.3',
  '--hidden',
  '16',
  '--embed',
  '8',
  '--epochs',
  '3',
  '--max-len',
  '20',
  '--batch-size',
  '2',
  '--patience',
  '5',
  '--seed',
  '7',
  '--scheduler',
  'onecycle',
];
const BATCHES = 32;
/** A small run with an end-of-epoch checkpoint to interrupt. */
const TRACE_CONFIG = [
  '--train',
  fixture('topics.csv'),
  '--hidden',
  '6',
  '--embed',
  '6',
  '--epochs',
  '2',
  '--max-len',
  '12',
];

interface State {
  type: string;
  epochsDone: number;
  finished: boolean;
  history: unknown[];
  partial: { epoch: number; batchesDone: number } | null;
}

/** What must be equal between the uninterrupted and the resumed run. */
async function outcome(dir: string) {
  const metrics = await readJsonFile<Record<string, unknown>>(join(dir, 'metrics.json'));
  const { seconds: _, ...rest } = metrics;
  const history = (await readJsonLines<Record<string, number>>(join(dir, 'history.jsonl'))).map(
    ({ seconds: _s, tokens_per_s: _t, ...h }) => h,
  );
  // steps.jsonl has no wall times: every line must be equal, none repeated or missing.
  const steps = await readJsonLines<StepLine>(join(dir, 'steps.jsonl'));
  return { metrics: rest, history, steps, weights: await readWeights(join(dir, 'model.safetensors')) };
}

/** A line of steps.jsonl. */
interface StepLine {
  step: number;
  epoch: number;
  loss: number;
  loss_ema: number;
  lr: number;
}

const REFRESH = /<meta http-equiv="refresh" content="\d+">/;

/** The reference: CONFIG run to the end, once for every test that compares with it. */
let referenceRun: Promise<Awaited<ReturnType<typeof outcome>>> | null = null;
function reference(): Promise<Awaited<ReturnType<typeof outcome>>> {
  referenceRun ??= (async () => {
    const full = join(await temp.make(), 'full');
    const a = await runCli(['--quiet', 'train', ...CONFIG, '--out', full], { cwd: fixture('.') });
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
    return outcome(full);
  })();
  return referenceRun;
}

/** TRACE_CONFIG run to the end with the write steps traced (src/fault-injection.ts), once. */
let traceRun: Promise<CliResult & { dir: string }> | null = null;
function tracedRun(): Promise<CliResult & { dir: string }> {
  traceRun ??= (async () => {
    const dir = join(await temp.make(), 'traced');
    const r = await runCli(['--quiet', 'train', ...TRACE_CONFIG, '--out', dir], {
      env: { SEQLAB_TEST_FAULT_TRACE: '1' },
    });
    expect(r.code).toBe(0);
    return { ...r, dir };
  })();
  return traceRun;
}

/** Starts CONFIG into `dir` and sends `signal` at the first progress line of epoch 2. */
async function interruptAtEpoch2(dir: string, signal: NodeJS.Signals) {
  const child = spawnCli(['train', ...CONFIG, '--out', dir], { cwd: fixture('.') });
  let seen = '';
  let sent = false;
  // progress lines go to stderr when piped
  child.stderr?.on('data', (d: Buffer) => {
    seen += d.toString();
    if (!sent && /^epoch 2\/3 \d+\/32 batches/m.test(seen)) {
      sent = true;
      child.kill(signal);
    }
  });
  const result = await collect(child);
  expect(sent).toBe(true);
  return result;
}

describe('seqlab train: Ctrl-C and --resume', () => {
  it('an interrupted run resumed with --resume ends exactly like the uninterrupted run', async () => {
    const root = await temp.make();

    // (1) The reference: the same configuration, run to the end.
    const A = await reference();

    // (2) The same run, with SIGINT at the first progress line of epoch 2.
    const cut = join(root, 'cut');
    const b = await interruptAtEpoch2(cut, 'SIGINT');
    expect(b.signal).toBeNull();
    expect(b.code).toBe(130);
    expect(b.stderr).toContain('Ctrl-C: finishing the current step, then writing a checkpoint');
    expect(b.stdout).toContain(
      `interrupted: checkpoint written. Continue with: seqlab train --resume ${cut}`,
    );
    expect(b.stdout).not.toContain('test accuracy');

    // It stopped inside epoch 2, not at its end: a partial epoch is in the checkpoint.
    const state = await readJsonFile<State>(join(cut, 'checkpoint/state.json'));
    expect(state.type).toBe('seqlab.TrainState');
    expect(state.finished).toBe(false);
    expect(state.epochsDone).toBe(1);
    expect(state.history).toHaveLength(1);
    expect(state.partial).not.toBeNull();
    expect(state.partial?.epoch).toBe(1);
    expect(state.partial?.batchesDone).toBeGreaterThanOrEqual(4);
    expect(state.partial?.batchesDone).toBeLessThan(BATCHES);
    // Nothing of a finished run yet.
    await expect(readFile(join(cut, 'metrics.json'))).rejects.toThrow(/ENOENT/);
    // The history so far: epoch 1, and every step trained, those of the unfinished epoch 2 too.
    const done = state.partial?.batchesDone ?? 0;
    expect(await readJsonLines(join(cut, 'history.jsonl'))).toHaveLength(1);
    const cutSteps = await readJsonLines<StepLine>(join(cut, 'steps.jsonl'));
    expect(cutSteps.map((s) => s.step)).toEqual(Array.from({ length: BATCHES + done }, (_, i) => i + 1));
    expect(cutSteps).toEqual(A.steps.slice(0, BATCHES + done));
    // The report says so, and no longer reloads itself.
    const cutReport = await readFile(join(cut, 'report.html'), 'utf8');
    expect(cutReport).toContain(
      `<b>interrupted after epoch 1 of 3</b>; continue with <code>seqlab train --resume ${cut}</code>`,
    );
    expect(cutReport).not.toMatch(REFRESH);

    // (3) Resume from another working directory: the run directory alone must be enough.
    const c = await runCli(['train', '--resume', cut], { cwd: root });
    expect(c.code).toBe(0);
    expect(c.stdout).toContain('resuming after epoch 1');
    // progress (stderr when piped) starts in epoch 2
    expect(
      lines(c.stderr).every((l) => / batches {2}loss /.test(l)),
      c.stderr,
    ).toBe(true);
    expect(c.stderr).toMatch(new RegExp(`^epoch 2/3 \\d+/${BATCHES} batches`, 'm'));
    expect(c.stderr).not.toMatch(/^epoch 1\/3/m);

    const B = await outcome(cut);
    expect(B.history).toHaveLength(3);
    expect(B.history).toEqual(A.history);
    // One line per step, each once: the resumed run continued the history, it did not repeat it.
    expect(B.steps.map((s) => s.step)).toEqual(Array.from({ length: 3 * BATCHES }, (_, i) => i + 1));
    expect(B.steps).toEqual(A.steps);
    expect(B.metrics).toEqual(A.metrics);
    expect(B.weights).toEqual(A.weights);
  });

  it('SIGTERM stops at the next step with a checkpoint (exit 143), and --resume ends like the uninterrupted run', async () => {
    const cut = join(await temp.make(), 'cut');
    const b = await interruptAtEpoch2(cut, 'SIGTERM');
    expect(b.signal).toBeNull();
    expect(b.code).toBe(143);
    expect(b.stderr).toContain('SIGTERM: finishing the current step, then writing a checkpoint');
    expect(b.stdout).toContain(
      `interrupted: checkpoint written. Continue with: seqlab train --resume ${cut}`,
    );
    const state = await readJsonFile<State>(join(cut, 'checkpoint/state.json'));
    expect(state.epochsDone).toBe(1);
    expect(state.partial?.batchesDone).toBeLessThan(BATCHES);

    const c = await runCli(['--quiet', 'train', '--resume', cut]);
    expect(c.stderr).toBe('');
    expect(c.code).toBe(0);
    expect(await outcome(cut)).toEqual(await reference());
  });

  it('a second Ctrl-C during a checkpoint write exits 130 only once the checkpoint is complete', async () => {
    const root = await temp.make();
    // Where the end-of-epoch-1 checkpoint writes state.json: found by tracing the write steps.
    const traced = await tracedRun();
    const step = Number(
      /^seqlab-test-fault-point (\d+) checkpoint\/state\.json written$/m.exec(traced.stderr)?.[1],
    );
    expect(step).toBeGreaterThan(0);

    // The same run, paused 1.5 s inside that write (after state.json's temporary file is written,
    // before its fsync and rename), gets two Ctrl-Cs there.
    const cut = join(root, 'cut');
    const child = spawnCli(['--quiet', 'train', ...TRACE_CONFIG, '--out', cut], {
      env: { SEQLAB_TEST_FAULT_TRACE: '1', SEQLAB_TEST_PAUSE_AT: `${step}:1500` },
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      const before = stderr;
      stderr += d.toString();
      if (!before.includes(`fault-point ${step} `) && stderr.includes(`fault-point ${step} `)) {
        child.kill('SIGINT');
        setTimeout(() => child.kill('SIGINT'), 200);
      }
    });
    const b = await collect(child);
    expect(b.signal).toBeNull();
    expect(b.code).toBe(130);
    expect(stderr).toContain('second Ctrl-C: exiting as soon as the file being written is complete');
    // The whole checkpoint was committed after the second Ctrl-C: state.json renamed into place.
    const after = stderr.slice(stderr.indexOf('second Ctrl-C'));
    expect(after).toMatch(/fault-point \d+ checkpoint\/state\.json committed/);
    expect(b.stdout).not.toContain('test accuracy');
    const state = await readJsonFile<State>(join(cut, 'checkpoint/state.json'));
    expect(state.epochsDone).toBe(1);
    expect((await readdir(join(cut, 'checkpoint'))).filter((n) => n.endsWith('.tmp'))).toEqual([]);

    const c = await runCli(['--quiet', 'train', '--resume', cut]);
    expect(c.stderr).toBe('');
    expect(c.code).toBe(0);
    expect(await outcome(cut)).toEqual(await outcome(traced.dir));
  });

  it('Ctrl-C while the results are written: exits 130 once the file is complete; --resume writes them', async () => {
    const traced = await tracedRun();
    const step = Number(
      /^seqlab-test-fault-point (\d+) model\.safetensors written$/m.exec(traced.stderr)?.[1],
    );
    expect(step).toBeGreaterThan(0);
    const cut = join(await temp.make(), 'cut');
    const child = spawnCli(['--quiet', 'train', ...TRACE_CONFIG, '--out', cut], {
      env: { SEQLAB_TEST_FAULT_TRACE: '1', SEQLAB_TEST_PAUSE_AT: `${step}:1000` },
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      const before = stderr;
      stderr += d.toString();
      if (!before.includes(`fault-point ${step} `) && stderr.includes(`fault-point ${step} `))
        child.kill('SIGINT');
    });
    const b = await collect(child);
    expect(b.code).toBe(130);
    expect(stderr).toContain(
      `Ctrl-C: exiting; the training is complete and checkpointed (seqlab train --resume ${cut} writes the results)`,
    );
    expect(stderr.slice(stderr.indexOf('Ctrl-C'))).toContain('model.safetensors committed');
    expect(readdirSync(cut).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    const c = await runCli(['--quiet', 'train', '--resume', cut]);
    expect(c.code).toBe(0);
    expect(await outcome(cut)).toEqual(await outcome(traced.dir));
  });

  it('history.jsonl, steps.jsonl and a self-reloading report.html are written after every epoch', async () => {
    const traced = await tracedRun();
    const writes = [...traced.stderr.matchAll(/^seqlab-test-fault-point (\d+) (.+)$/gm)];
    const at = (label: string) => writes.filter((w) => w[2] === label).map((w) => Number(w[1]));
    // After each of the 2 epochs: the checkpoint, then the three files, in this order.
    const [state1, state2] = at('checkpoint/state.json committed');
    const [history1] = at('history.jsonl committed');
    const [steps1] = at('steps.jsonl committed');
    const [report1, report2] = at('report.html committed');
    expect(state1 < history1 && history1 < steps1 && steps1 < report1 && report1 < state2).toBe(true);
    expect(report2).toBeGreaterThan(state2);
    const reference = await outcome(traced.dir);
    const perEpoch = reference.steps.length / 2;

    // Killed (SIGKILL) right after epoch 1's report: the files of epoch 1, the report still running.
    const cut = join(await temp.make(), 'cut');
    const killed = await runCli(['--quiet', 'train', ...TRACE_CONFIG, '--out', cut], {
      env: { SEQLAB_TEST_KILL_AT: String(report1) },
    });
    expect(killed.signal).toBe('SIGKILL');
    expect(await readJsonLines(join(cut, 'history.jsonl'))).toHaveLength(1);
    expect(await readJsonLines(join(cut, 'steps.jsonl'))).toEqual(reference.steps.slice(0, perEpoch));
    const running = await readFile(join(cut, 'report.html'), 'utf8');
    expect(running).toMatch(REFRESH);
    expect(running).toContain('<b>running, epoch 1 of 2</b>');
    expect(running).toMatch(/>Confusion matrix, validation set, epoch 1 \(\d+ examples\)</);

    // Killed between epoch 2's checkpoint and its files: they are an epoch behind the checkpoint,
    // and --resume (of a finished checkpoint) rewrites them whole, without repeating a line.
    const behind = join(await temp.make(), 'behind');
    const killed2 = await runCli(['--quiet', 'train', ...TRACE_CONFIG, '--out', behind], {
      env: { SEQLAB_TEST_KILL_AT: String(state2) },
    });
    expect(killed2.signal).toBe('SIGKILL');
    expect(await readJsonLines(join(behind, 'history.jsonl'))).toHaveLength(1);
    for (const dir of [cut, behind]) {
      const c = await runCli(['--quiet', 'train', '--resume', dir]);
      expect(c.stderr).toBe('');
      expect(c.code).toBe(0);
      expect(await outcome(dir)).toEqual(reference);
      const final = await readFile(join(dir, 'report.html'), 'utf8');
      expect(final).not.toMatch(REFRESH);
      expect(final).toContain('<p id="status" class="finished"><b>finished</b>: 2 of 2 epochs.</p>');
    }
  });

  it('--resume of a finished run re-evaluates the best weights and changes nothing', async () => {
    const root = await temp.make();
    const done = join(root, 'done');
    const args = ['--quiet', 'train', '--train', fixture('topics.csv'), '--hidden', '8', '--embed', '8'];
    const first = await runCli([
      ...args,
      '--epochs',
      '2',
      '--max-len',
      '20',
      '--batch-size',
      '16',
      '--out',
      done,
    ]);
    expect(first.code).toBe(0);
    const before = await outcome(done);
    const copy = join(root, 'copy');
    await cp(done, copy, { recursive: true });
    const r = await runCli(['train', '--resume', copy]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('this run had already finished; re-evaluating the best weights');
    expect(r.stdout).not.toContain('batches');
    expect(await outcome(copy)).toEqual(before);
  });
});
