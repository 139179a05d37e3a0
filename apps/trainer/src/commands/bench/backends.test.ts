import { getBackend, listBackends, setBackend } from '@seqlab/tensor';
import { jsBackend } from '@seqlab/tensor/backend';
import { afterEach, describe, expect, it } from 'vitest';
import { backendInfo, loadOptionalBackends } from './backends';
import { type BenchIO, benchBackendsCommand } from './index';

const initial = getBackend().name;
afterEach(() => setBackend(initial));

const notFound = (name: string) =>
  Object.assign(new Error(`Cannot find package '${name}' imported from /x.js`), {
    code: 'ERR_MODULE_NOT_FOUND',
  });

describe('backendInfo', () => {
  it('gives js and wasm one thread and their instruction set', () => {
    expect(backendInfo(jsBackend)).toEqual({ backend: 'js', threads: 1, isa: 'js' });
    expect(backendInfo({ ...jsBackend, name: 'wasm' })).toEqual({
      backend: 'wasm',
      threads: 1,
      isa: 'wasm-simd128',
    });
    expect(backendInfo({ ...jsBackend, name: 'other' })).toMatchObject({ threads: 1, isa: 'unknown' });
  });

  it('reads threads and isa from a backend that reports them, as values or functions', () => {
    expect(
      backendInfo({ ...jsBackend, name: 'native', threads: 2, isa: 'avx512' } as typeof jsBackend),
    ).toEqual({
      backend: 'native',
      threads: 2,
      isa: 'avx512',
    });
    const fromFunctions = { ...jsBackend, name: 'native', threads: () => 4, isa: () => 'avx2' };
    expect(backendInfo(fromFunctions as typeof jsBackend)).toMatchObject({ threads: 4, isa: 'avx2' });
    // nonsense falls back to the defaults rather than reaching the JSON
    const bad = { ...jsBackend, name: 'js', threads: 0.5, isa: '' };
    expect(backendInfo(bad as typeof jsBackend)).toMatchObject({ threads: 1, isa: 'js' });
  });
});

describe('loadOptionalBackends', () => {
  it('says a package is not installed, without throwing', async () => {
    const before = listBackends();
    const notes = await loadOptionalBackends(['@seqlab/native'], async (name) => {
      throw notFound(name);
    });
    expect(notes).toEqual([{ package: '@seqlab/native', status: 'not installed' }]);
    expect(listBackends()).toEqual(before);
  });

  it('reports a package that fails to load (a broken addon) by its error', async () => {
    const notes = await loadOptionalBackends(['@seqlab/native'], async () => {
      throw new Error('native.node: undefined symbol: foo');
    });
    expect(notes[0].status).toBe('failed to load: native.node: undefined symbol: foo');
  });

  it('registers an exported backend object, which bench speed can then select by name', async () => {
    const fake = { ...jsBackend, name: 'fake-native', threads: 2, isa: 'avx512' };
    const notes = await loadOptionalBackends(['@seqlab/native'], async () => ({ nativeBackend: fake }));
    expect(notes).toEqual([{ package: '@seqlab/native', status: 'registered fake-native' }]);
    expect(listBackends()).toContain('fake-native');
    setBackend('fake-native');
    expect(backendInfo()).toEqual({ backend: 'fake-native', threads: 2, isa: 'avx512' });
  });

  it('calls an exported register function', async () => {
    let calls = 0;
    const notes = await loadOptionalBackends(['pkg'], async () => ({
      registerNativeBackend: () => {
        calls++;
      },
    }));
    expect(calls).toBe(1);
    expect(notes[0].status).toBe('loaded, registered no new backend');
  });

  it('the real import of @seqlab/native: registered, or not installed', async () => {
    const [note] = await loadOptionalBackends();
    expect(note.package).toBe('@seqlab/native');
    expect(note.status).toMatch(/^(registered|not installed$)/);
    if (note.status.startsWith('registered')) expect(listBackends()).toContain('native');
  });
});

describe('seqlab bench backends', () => {
  it('lists every registered backend with its isa and threads, and the optional packages', async () => {
    const out: string[] = [];
    const io: BenchIO = { out: (l) => out.push(l), err: () => {}, status: null };
    await benchBackendsCommand({ json: true }, {}, io);
    const report = JSON.parse(out[0]);
    expect(report.active).toBe(initial);
    expect(report.backends.map((b: { backend: string }) => b.backend)).toEqual(listBackends());
    expect(report.backends[0]).toEqual({ backend: 'js', threads: 1, isa: 'js' });
    expect(report.optional[0].package).toBe('@seqlab/native');
    expect(getBackend().name).toBe(initial);
    out.length = 0;
    await benchBackendsCommand({}, {}, io);
    const lines = out.join('\n').split('\n');
    expect(lines[0]).toMatch(/^backend\s+isa\s+threads\s+active$/);
    expect(lines[1]).toMatch(initial === 'js' ? /^js\s+js\s+1\s+yes$/ : /^js\s+js\s+1$/);
    expect(lines).toHaveLength(1 + listBackends().length + 1);
    expect(lines.at(-1)).toMatch(/^optional @seqlab\/native: /);
  });
});
