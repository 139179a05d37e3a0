// End-to-end: what people expect of a command-line tool — --version, defaults in --help taken from
// the schema, --no-color, --json everywhere with JSON errors, progress on stderr when piped.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrainConfigSchema } from '../config';
import { fixture, lines, requireBuiltCli, runCli, TempDirs, TINY } from './cli-harness';

const temp = new TempDirs();
beforeAll(() => requireBuiltCli());
afterAll(() => temp.cleanup());

// An ANSI colour code: ESC [ … m.
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`);

describe('seqlab, as a command-line tool', () => {
  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    for (const flag of ['--version', '-V']) {
      const r = await runCli([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(pkg.version);
    }
  });

  it('train --help shows every option’s default as the schema resolves it', async () => {
    const r = await runCli(['train', '--help']);
    expect(r.code).toBe(0);
    const help = r.stdout.replace(/\n\s+/g, ' ');
    const defaults = TrainConfigSchema.parse({}) as Record<string, unknown>;
    const flagged = [
      'hidden',
      'embed',
      'layers',
      'dropout',
      'maxLen',
      'minFreq',
      'vocabSize',
      'batchSize',
      'epochs',
      'lr',
      'clip',
      'patience',
      'seed',
      'model',
      'tokenizer',
      'optimizer',
      'scheduler',
      'textColumn',
      'labelColumn',
      'headers',
      'weightDecay',
      'forgetBias',
    ];
    for (const key of flagged) {
      const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      const at = help.indexOf(`${flag} `);
      expect(at, flag).toBeGreaterThan(-1);
      const next = help.indexOf(' --', at + flag.length);
      expect(help.slice(at, next === -1 ? undefined : next), flag).toContain(`(default: ${defaults[key]})`);
    }
  });

  it('--no-color (and NO_COLOR) turn colours off even where they are forced', async () => {
    const bad = ['train', '--train', fixture('one-class.csv'), ...TINY];
    const colored = await runCli(bad, { env: { FORCE_COLOR: '1' } });
    expect(colored.code).toBe(2);
    expect(colored.stderr).toMatch(ANSI); // the check can fail: forced colours do colour the error
    for (const [args, env] of [
      [bad, { CI: 'true' }], // a pipe stays plain on a CI machine too (picocolors alone colours it)
      [['--no-color', ...bad], { FORCE_COLOR: '1' }],
      [[...bad, '--no-color'], { FORCE_COLOR: '1' }],
      [bad, { FORCE_COLOR: '1', NO_COLOR: '1' }],
    ] as const) {
      const r = await runCli([...args], { env });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^error: /);
      expect(r.stderr).not.toMatch(ANSI);
    }
  });

  it('--json anywhere makes errors JSON too: a configuration error, a usage error, a missing run', async () => {
    const cases: Array<[string[], string, RegExp]> = [
      [
        ['train', '--hidden', '-3', '--json'],
        'ConfigError',
        /--hidden: expected an integer in \[1, 4096\] \(given -3\)/,
      ],
      [['--json', 'train', '--nope'], 'UsageError', /unknown option '--nope'/],
      [['predict', '--json', '--run', join(fixture('nope'), 'run'), 'x'], 'ConfigError', /nope/],
      [['--log-format', 'json', 'eval', '--data', 'x.csv'], 'UsageError', /--run <dir>/],
    ];
    for (const [args, error, message] of cases) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout, args.join(' ')).toBe('');
      const out = lines(r.stderr);
      expect(out, r.stderr).toHaveLength(1);
      const event = JSON.parse(out[0] as string);
      expect(event.event).toBe('error');
      expect(event.error, r.stderr).toBe(error);
      expect(event.message).toMatch(message);
    }
  });

  it('piped progress goes to stderr: stdout holds only results', async () => {
    const out = join(await temp.make(), 'run');
    const r = await runCli(['train', '--train', fixture('topics.csv'), ...TINY, '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/\d+\/\d+ batches {2}loss/);
    expect(r.stdout).not.toMatch(/batches {2}loss/);
    expect(r.stdout).toMatch(/test accuracy/);
  });
});
