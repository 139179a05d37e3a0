// End-to-end: what the CLI loads when it starts (NOTE(lazy-commands) in ../cli.ts). Every command
// pays for the modules its start-up loads, and so does every test here that spawns the CLI: a
// command loads the code of the others only when it runs, and zod is loaded once (one build: the
// ES module one, which the CLI imports and @seqlab/classifier's Node entry imports too).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, type CliResult, fixture, requireBuiltCli, runCli, TempDirs, TINY } from './cli-harness';

const temp = new TempDirs();
beforeAll(requireBuiltCli);
afterAll(() => temp.cleanup());

const HOOK = new URL('./module-log.mjs', import.meta.url).href;

/** Runs the CLI with module-log.mjs; returns its result and the file URLs of the modules it loaded. */
async function loaded(args: readonly string[]): Promise<{ r: CliResult; urls: string[] }> {
  const log = join(await temp.make('seqlab-startup-'), 'modules.log');
  const r = await runCli(args, {
    env: { NODE_OPTIONS: `--import=${HOOK}`, SEQLAB_MODULE_LOG: log },
  });
  const urls = [...new Set((await readFile(log, 'utf8')).split('\n').filter(Boolean))];
  return { r, urls };
}

/** The package of a module's URL: the last node_modules/<name> in it, or packages/<dir> of the workspace. */
function packageOf(url: string): string | null {
  const installed = [...url.matchAll(/\/node_modules\/((?:@[^/]+\/)?[^/]+)\//g)].at(-1);
  if (installed && installed[1] !== '.pnpm') return installed[1]!;
  const workspace = /\/packages\/([^/]+)\//.exec(url);
  return workspace ? `@seqlab/${workspace[1]}` : null;
}

const packagesOf = (urls: readonly string[]) =>
  new Set(urls.map(packageOf).filter((name): name is string => name !== null));

/** zod's core module, once per copy of zod in the process (`core.js` in its ES build, `core.cjs` in its CommonJS one). */
const zodCores = (urls: readonly string[]) => urls.filter((url) => /\/zod\/v4\/core\/core\.c?js$/.test(url));

/** The modules of commands other than the one run (export and bench: ONNX; train: the built-in datasets). */
const COMMAND_ONLY = ['@seqlab/onnx', 'onnx-proto', 'protobufjs', '@seqlab/datasets'];

describe.concurrent('seqlab start-up: the modules it loads', () => {
  it.each([
    { args: ['--help'], code: 0 },
    { args: ['train', '--help'], code: 0 },
    { args: ['doctor'], code: 0 },
    { args: ['train', '--hidden', '0'], code: 2 },
  ])('$args: no other command’s modules, one zod', async ({ args, code }) => {
    const { r, urls } = await loaded(args);
    expect(r.code, r.stderr).toBe(code);
    const packages = packagesOf(urls);
    expect(packages).toContain('@seqlab/tensor');
    for (const name of COMMAND_ONLY) expect(packages, name).not.toContain(name);
    expect(zodCores(urls)).toHaveLength(1);
    expect(zodCores(urls)[0]).toMatch(/core\.js$/);
  });

  it('--help: no model, optimizer, classifier or progress-bar code', async () => {
    const { r, urls } = await loaded(['--help']);
    expect(r.code, r.stderr).toBe(0);
    const packages = packagesOf(urls);
    for (const name of ['@seqlab/layers', '@seqlab/optim', '@seqlab/classifier', 'cli-progress'])
      expect(packages, name).not.toContain(name);
  });

  it('train with a missing --train file: the error, the classifier and zod from one build, no ONNX', async () => {
    const out = join(await temp.make(), 'run');
    const { r, urls } = await loaded(['train', '--train', fixture('nope.csv'), ...TINY, '--out', out]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('no such file');
    const packages = packagesOf(urls);
    expect(packages).toContain('@seqlab/classifier');
    for (const name of COMMAND_ONLY) expect(packages, name).not.toContain(name);
    // @seqlab/classifier's Node entry for `import` is its ES module build, which shares zod with the CLI.
    expect(urls.filter((url) => /\/classifier\/dist\/index\.c?js$/.test(url))).toEqual([
      expect.stringMatching(/index\.js$/),
    ]);
    expect(zodCores(urls)).toHaveLength(1);
  });

  it('a command loads its own modules when it runs (bench speed --engine onnxruntime: @seqlab/onnx)', async () => {
    const { r, urls } = await loaded(['bench', 'speed', '--engine', 'onnxruntime', '--mode', 'train']);
    // refused after its module loaded: ONNX Runtime runs inference only
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('--mode infer');
    expect(packagesOf(urls)).toContain('@seqlab/onnx');
    expect(urls).toContain(pathToFileURL(CLI).href);
  });
});
