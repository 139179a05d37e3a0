// Compiles the addon with node-gyp into build/Release/seqlab_native.node.
//
// Never fails the surrounding install or build: without a C compiler, Python or node-gyp, it
// prints a loud warning and exits 0, and @seqlab/native then reports `{ ok: false, reason }` at
// load, so the rest of seqlab (the wasm and js backends) keeps working.
//
//   node scripts/build-addon.mjs               configure if needed, then an incremental build
//   node scripts/build-addon.mjs --if-missing  do nothing when a prebuilt or built addon exists
//
// Node's own headers are used when they sit beside the running node (official tarballs and
// Debian's nodejs-dev put them in <prefix>/include/node), so nothing is downloaded.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'build', 'Release', 'seqlab_native.node');
const prebuilds = join(root, 'prebuilds', `${process.platform}-${process.arch}`);

function warn(lines) {
  const bar = '!'.repeat(78);
  console.warn(
    [
      bar,
      '@seqlab/native: the native addon was NOT built.',
      ...lines,
      'seqlab still works: it falls back to the wasm and js backends.',
      bar,
    ].join('\n'),
  );
}

if (process.argv.includes('--if-missing')) {
  const hasPrebuild = existsSync(prebuilds) && readdirSync(prebuilds).some((f) => f.endsWith('.node'));
  if (hasPrebuild || existsSync(built)) process.exit(0);
}

function findNodeGyp() {
  try {
    return createRequire(join(root, 'package.json')).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    // npm exposes its bundled node-gyp to install scripts.
    const fromNpm = process.env.npm_config_node_gyp;
    return fromNpm && existsSync(fromNpm) ? fromNpm : null;
  }
}

const nodeGyp = findNodeGyp();
if (!nodeGyp) {
  warn(['node-gyp was not found (it is a devDependency; npm also provides one to install scripts).']);
  process.exit(0);
}

const nodedir = resolve(dirname(process.execPath), '..');
const headers = existsSync(join(nodedir, 'include', 'node', 'node_api.h'));
const flags = headers ? [`--nodedir=${nodedir}`] : [];
// gypArgs go to gyp itself (after `--`).
const run = (args, gypArgs = []) =>
  spawnSync(
    process.execPath,
    [nodeGyp, ...args, ...flags, ...(gypArgs.length > 0 ? ['--', ...gypArgs] : [])],
    {
      cwd: root,
      stdio: 'inherit',
      env: process.env,
    },
  );

// The fused recurrence compiles @seqlab/tensor's wasm C sources (binding.gyp): find them where
// this package resolves @seqlab/tensor, whatever the install layout.
function findWasmSources() {
  try {
    const tensor = dirname(createRequire(join(root, 'package.json')).resolve('@seqlab/tensor/package.json'));
    const dir = join(tensor, 'src', 'backend', 'wasm');
    return existsSync(join(dir, 'recurrent.c')) ? dir : null;
  } catch {
    return null;
  }
}

const wasmSources = findWasmSources();
if (!wasmSources) {
  warn([
    "@seqlab/tensor's C sources (src/backend/wasm/recurrent.c) were not found where this package resolves @seqlab/tensor.",
    'Install @seqlab/tensor beside @seqlab/native (it is a peer dependency).',
  ]);
  process.exit(0);
}

const configured =
  existsSync(join(root, 'build', 'Makefile')) || existsSync(join(root, 'build', 'binding.sln'));
const configure = configured ? { status: 0 } : run(['configure'], [`-Dseqlab_wasm_dir=${wasmSources}`]);
const build = configure.status === 0 ? run(['build']) : configure;
if (build.status !== 0 || !existsSync(built)) {
  warn(
    [
      `\`node-gyp ${configure.status === 0 ? 'build' : 'configure'}\` failed${build.error ? `: ${build.error.message}` : ''}.`,
      'It needs a C compiler (gcc or clang), make and Python 3; on Debian/Ubuntu: apt-get install -y build-essential python3.',
      headers
        ? ''
        : `Node's headers were not found under ${nodedir}/include/node, so node-gyp tried to download them.`,
      'Then run `pnpm --filter @seqlab/native build:addon` (or `npm rebuild @seqlab/native`).',
    ].filter(Boolean),
  );
}
