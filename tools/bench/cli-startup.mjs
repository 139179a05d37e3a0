#!/usr/bin/env node
// The CPU time of `seqlab` commands that end at start-up (help, doctor, failing trains), this
// checkout against another one (built), alternating processes:
//
//   node tools/bench/cli-startup.mjs --base ../seqlab-base [--rounds 12] [--core 0]
//
// Each process runs pinned to one core (`taskset -c`, both sides the same core) under
// /usr/bin/time (timed-run.mjs); the CPU time is its user + system time (10 ms resolution, so the
// medians of many rounds are what to compare). Prints one line per command: the medians, the ratio
// and the ranges.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from './compare-table.mjs';
import { runUnderTime } from './timed-run.mjs';

const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    rounds: { type: 'string', default: '12' },
    core: { type: 'string', default: '0' },
  },
});
if (!values.base) {
  console.error(
    'usage: node tools/bench/cli-startup.mjs --base <other checkout, built> [--rounds 12] [--core 0]',
  );
  process.exit(2);
}
const checkouts = { base: resolve(values.base), this: fileURLToPath(new URL('../..', import.meta.url)) };
const rounds = Number(values.rounds);
const work = mkdtempSync(join(tmpdir(), 'seqlab-cli-startup-'));
const COMMANDS = [
  ['--help'],
  ['doctor'],
  ['train', '--help'],
  ['train', '--hidden', '0'],
  ['train', '--train', 'apps/trainer/src/e2e/fixtures/nope.csv', '--out', join(work, 'run')],
];

/** CPU milliseconds (user + system) of one `node dist/cli.js ...args` in `dir`. */
async function cpuMs(dir, args) {
  const cli = join(dir, 'apps/trainer/dist/cli.js');
  const r = await runUnderTime(['taskset', '-c', values.core, process.execPath, cli, ...args], {
    cwd: dir,
    env: { NO_COLOR: '1' },
  });
  if (!r.time) throw new Error(`no /usr/bin/time line for ${args.join(' ')} in ${dir}: ${r.stderr}`);
  return r.time.cpu_s * 1000;
}

try {
  for (const args of COMMANDS) {
    const ms = { base: [], this: [] };
    for (let i = 0; i < rounds; i++) {
      for (const side of i % 2 ? ['this', 'base'] : ['base', 'this'])
        ms[side].push(await cpuMs(checkouts[side], args));
    }
    const [b, t] = [median(ms.base), median(ms.this)];
    const range = (xs) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;
    console.log(
      `${args.join(' ').replace(work, '$TMP')}: base ${b.toFixed(0)} ms, this ${t.toFixed(0)} ms, this/base ${(t / b).toFixed(2)} (base ${range(ms.base)}, this ${range(ms.this)}, ${rounds} rounds)`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
