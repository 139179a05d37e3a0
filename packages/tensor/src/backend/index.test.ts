// The @seqlab/tensor/backend subpath: a backend registered through it is the one the main entry's
// ops run, and the kernel surface is no longer on the main entry (the built, packed form of the
// same check is in tools/pack-smoke/pack.slow.test.ts).
import * as tensorEntry from '@seqlab/tensor';
import { BackendError, getBackend, listBackends, setBackend, tensor } from '@seqlab/tensor';
import { type Backend, backend, jsBackend, RECURRENT_GATES, registerBackend } from '@seqlab/tensor/backend';
import { afterEach, expect, test } from 'vitest';

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
