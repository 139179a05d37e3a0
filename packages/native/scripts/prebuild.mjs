// Puts the addon into prebuilds/<platform>-<arch>/seqlab_native.node: the binary that ships in the
// package, so that installing it on this platform needs no compiler (the `install` step,
// scripts/build-addon.mjs --if-missing, then skips node-gyp, and src/load.ts finds the prebuild).
//
//   node scripts/prebuild.mjs          build the addon (scripts/build-addon.mjs), then copy it
//   node scripts/prebuild.mjs --copy   copy the addon `pnpm build` made; the package's `prepack`
//
// Node-API is ABI-stable, so one binary serves every Node >= 20 on its platform, and the addon picks
// its instruction set (AVX-512, AVX2, portable) at load, so one x64 binary serves every x64 CPU.
// Prebuilds of other platforms (built there with this script, then copied into prebuilds/ before
// packing) are left as they are. Like the build, it never fails: without an addon to copy it says
// loudly what the tarball will hold, and installs on this platform then need a compiler (or run on
// wasm).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'build', 'Release', 'seqlab_native.node');
const platform = `${process.platform}-${process.arch}`;
const target = join(root, 'prebuilds', platform, 'seqlab_native.node');

if (!process.argv.includes('--copy')) {
  spawnSync(process.execPath, [join(root, 'scripts', 'build-addon.mjs')], { cwd: root, stdio: 'inherit' });
}

/** Every prebuilt binary in prebuilds/, as `<platform>-<arch>/<file>`. */
function shipped() {
  const dir = join(root, 'prebuilds');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((entry) =>
      readdirSync(join(dir, entry.name))
        .filter((file) => file.endsWith('.node'))
        .map((file) => `${entry.name}/${file}`),
    );
}

if (existsSync(built)) {
  mkdirSync(dirname(target), { recursive: true });
  // Copy, then rename: a concurrent pack never reads a half-written binary.
  const partial = `${target}.${process.pid}.partial`;
  copyFileSync(built, partial);
  renameSync(partial, target);
  console.log(`@seqlab/native: prebuilds/${platform}/seqlab_native.node <- build/Release/seqlab_native.node`);
} else {
  const bar = '!'.repeat(78);
  console.warn(
    [
      bar,
      `@seqlab/native: no addon to copy into prebuilds/${platform}/ (build/Release/seqlab_native.node is missing).`,
      `The package will ship the prebuilds: ${shipped().join(', ') || 'none'}.`,
      `Installs on ${platform} without one then need a C compiler (else seqlab runs on wasm).`,
      'Build it first: pnpm --filter @seqlab/native build:addon (a C compiler, make and Python 3).',
      bar,
    ].join('\n'),
  );
}
