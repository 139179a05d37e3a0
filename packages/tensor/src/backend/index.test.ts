// The @seqlab/tensor/backend subpath: a backend registered through it is the one the main entry's
// ops run, and the kernel surface is no longer on the main entry (the built, packed form of the
// same check is in tools/pack-smoke/pack.slow.test.ts).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tensorEntry from '@seqlab/tensor';
import { BackendError, getBackend, listBackends, setBackend, tensor } from '@seqlab/tensor';
import { type Backend, backend, jsBackend, RECURRENT_GATES, registerBackend } from '@seqlab/tensor/backend';
import { afterEach, describe, expect, test } from 'vitest';

const initial = getBackend().name;
afterEach(() => setBackend(initial));

test('a backend registered through the subpath runs the ops of the main entry', () => {
  let calls = 0;
  const counting: Backend = {
    ...jsBackend,
    name: 'counting',
    binary: (...args) => {
      calls++;
      jsBackend.binary(...args);
    },
  };
  registerBackend(counting);
  expect(listBackends()).toContain('counting');
  setBackend('counting');
  expect(backend()).toBe(counting);
  expect(
    tensor([1, 2])
      .add(tensor([3, 4]))
      .toArray(),
  ).toEqual([4, 6]);
  expect(calls).toBe(1);
});

test('the main entry keeps choosing a backend, not writing one', () => {
  expect(Object.keys(tensorEntry)).toEqual(
    expect.arrayContaining(['getBackend', 'listBackends', 'setBackend']),
  );
  for (const name of ['backend', 'registerBackend', 'jsBackend', 'makeRecurrentKernels']) {
    expect(Object.keys(tensorEntry), name).not.toContain(name);
  }
  expect(RECURRENT_GATES).toEqual(tensorEntry.RECURRENT_GATES);
  expect(() => setBackend('nope')).toThrow(BackendError);
});

describe('choosing the backend at start-up (a fresh process each)', () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const run = (script: string, env: Record<string, string> = {}) =>
    execFileSync(
      process.execPath,
      [
        '--conditions=@seqlab/source',
        '--import',
        'tsx',
        '-e',
        `(async () => {
          const t = await import('@seqlab/tensor');
          const k = await import('@seqlab/tensor/backend');
          const fake = (name) => ({ ...k.jsBackend, name });
          const show = () => { try { return t.getBackend(); } catch (e) { return e.name + ': ' + e.message; } };
          ${script}
        })()`,
      ],
      { cwd: root, env: { ...process.env, SEQLAB_BACKEND: '', ...env }, encoding: 'utf8' },
    ).trim();

  test('a backend registered as a default replaces the built-in default, not an explicit choice', () => {
    const script = `
      k.registerBackend(fake('fast'), { default: 'a faster backend loaded' });
      const first = show();
      t.setBackend('js');
      k.registerBackend(fake('faster'), { default: 'an even faster one' });
      console.log(JSON.stringify([first, show()]));`;
    expect(JSON.parse(run(script))).toEqual([
      { name: 'fast', reason: 'default: a faster backend loaded' },
      { name: 'js', reason: "selected with setBackend('js')" },
    ]);
    expect(JSON.parse(run(script, { SEQLAB_BACKEND: 'wasm' }))[0]).toEqual({
      name: 'wasm',
      reason: 'selected with SEQLAB_BACKEND=wasm',
    });
  });

  test('SEQLAB_BACKEND=native waits for the native backend to register, and every op fails until it does', () => {
    const script = `
      const before = show();
      let op;
      try { t.tensor([1]).add(1); } catch (e) { op = e.name; }
      k.registerBackend(fake('native'));
      console.log(JSON.stringify([before, op, show()]));`;
    expect(JSON.parse(run(script, { SEQLAB_BACKEND: 'native' }))).toEqual([
      "BackendError: SEQLAB_BACKEND: expected one of js, wasm, got 'native'. It registers when the application calls `registerNative()` from '@seqlab/native' (the seqlab CLI does)",
      'BackendError',
      { name: 'native', reason: 'selected with SEQLAB_BACKEND=native' },
    ]);
  });
});
