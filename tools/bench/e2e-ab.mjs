#!/usr/bin/env node
// `pnpm bench:e2e:ab --base DIR`: the article's epoch (as `pnpm bench:e2e` runs it, seqlab only) with
// two builds of seqlab, alternating (A B A B …), to measure a change on a busy machine: the epoch
// time, the process's wall and CPU seconds and peak RSS (/usr/bin/time), the load average at each
// run, and whether both builds trained the same bits (history.jsonl without its wall times, and
// steps.jsonl, must be equal byte for byte).
//
//   git worktree add --detach /tmp/seqlab-base main && (cd /tmp/seqlab-base && pnpm install --frozen-lockfile && pnpm build)
//   pnpm build && pnpm bench:e2e:ab --base /tmp/seqlab-base [--rounds 3] [--backend native] [--shared ../shared]
//
// It prints one line per run and the medians per build; CPU seconds are the figure that survives
// other processes on the machine best (wall time stretches with the load, CPU time much less).

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { flagOf } from './args.mjs';
import { median } from './compare-table.mjs';
import { parseSeqlabEpochs } from './e2e-table.mjs';
import { runUnderTime } from './timed-run.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const argv = process.argv.slice(2);
const base = flagOf(argv, 'base', null);
const rounds = Number(flagOf(argv, 'rounds', '3'));
const backend = flagOf(argv, 'backend', 'native');
const { SEQLAB_SHARED } = process.env;
const shared = path.resolve(flagOf(argv, 'shared', SEQLAB_SHARED ?? path.join(ROOT, '..', 'shared')));
const DATA = path.join(shared, 'datasets/sentiment');
const CONFIG = path.join(ROOT, 'apps/trainer/configs/article-lstm.json');

const fail = (reason) => {
  process.stderr.write(`bench:e2e:ab: ${reason}\n`);
  process.exit(1);
};
if (!base) fail('--base DIR: expected the checkout of the build to compare with');
if (!Number.isInteger(rounds) || rounds < 1) fail(`--rounds: expected an integer ≥ 1, got ${rounds}`);
const builds = [
  { name: 'base', cli: path.join(path.resolve(base), 'apps/trainer/dist/cli.js') },
  { name: 'this', cli: path.join(ROOT, 'apps/trainer/dist/cli.js') },
];
for (const b of builds) if (!existsSync(b.cli)) fail(`no ${b.cli}: run pnpm build there first`);
if (!existsSync(path.join(DATA, 'train.jsonl')))
  fail(`no ${DATA}/train.jsonl: the sentiment dataset is not beside the repository (--shared DIR)`);

/** One `seqlab train` of the article's epoch under /usr/bin/time; its numbers and its run files. */
function run(cli) {
  const out = mkdtempSync(path.join(tmpdir(), 'seqlab-e2e-ab-'));
  const args = [process.execPath, cli, 'train', '--config', CONFIG];
  args.push('--train', path.join(DATA, 'train.jsonl'), '--valid', path.join(DATA, 'valid.jsonl'));
  args.push('--test', path.join(DATA, 'valid.jsonl'), '--epochs', '1', '--out', path.join(out, 'run'));
  return runUnderTime(args, { env: { SEQLAB_BACKEND: backend } }).then(({ code, lines, stderr, time }) => {
    const dir = path.join(out, 'run');
    const read = (name) =>
      existsSync(path.join(dir, name)) ? readFileSync(path.join(dir, name), 'utf8') : '';
    // history.jsonl without its wall times (seconds, tokens_per_s): the numbers trained.
    const history = read('history.jsonl')
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const { seconds: _s, tokens_per_s: _t, ...h } = JSON.parse(l);
        return JSON.stringify(h);
      })
      .join('\n');
    const result = {
      code,
      epochs: parseSeqlabEpochs(lines),
      time,
      history,
      steps: read('steps.jsonl'),
    };
    rmSync(out, { recursive: true, force: true });
    if (code !== 0) fail(`${cli} exited with ${code}: ${stderr.trim().split('\n').slice(-3).join(' / ')}`);
    return result;
  });
}

const results = { base: [], this: [] };
let reference = null;
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
console.log(`bench:e2e:ab --base ${base} --rounds ${rounds} --backend ${backend}; load ${load()}`);
for (let round = 1; round <= rounds; round++) {
  for (const b of round % 2 ? builds : [...builds].reverse()) {
    const r = await run(b.cli);
    const m = {
      epoch_s: r.epochs[0]?.epoch_s ?? Number.NaN,
      wall_s: r.time?.wall_s ?? Number.NaN,
      cpu_s: r.time?.cpu_s ?? Number.NaN,
      rss: r.time?.max_rss_mb ?? Number.NaN,
      load: loadavg()[0],
    };
    results[b.name].push(m);
    reference ??= r;
    const same = r.history === reference.history && r.steps === reference.steps;
    console.log(
      `round ${round} ${b.name}: epoch ${m.epoch_s.toFixed(1)} s, process ${m.wall_s.toFixed(1)} s wall, ${m.cpu_s.toFixed(1)} s CPU, ${m.rss.toFixed(0)} MiB; load ${m.load.toFixed(2)}; ${same ? 'same bits as the first run' : 'DIFFERENT history or steps'}`,
    );
    if (!same) process.exitCode = 1;
  }
}
console.log(`load after: ${load()}`);
for (const [name, rows] of Object.entries(results)) {
  const f = (key, digits) => median(rows.map((r) => r[key])).toFixed(digits);
  console.log(
    `median ${name}: epoch ${f('epoch_s', 1)} s, wall ${f('wall_s', 1)} s, CPU ${f('cpu_s', 1)} s, peak RSS ${f('rss', 0)} MiB`,
  );
}
const ratio = (key) => median(results.this.map((r) => r[key])) / median(results.base.map((r) => r[key]));
console.log(
  `this / base: epoch ${ratio('epoch_s').toFixed(3)}, CPU ${ratio('cpu_s').toFixed(3)}, peak RSS ${ratio('rss').toFixed(3)}`,
);
