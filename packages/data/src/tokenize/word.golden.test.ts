// Golden test against the PyTorch reference's text pipeline (train_reference.py: `tokenize`,
// `build_vocab`). The expected values come from tools/fixtures/gen_data.py, which imports the
// reference script and runs its own functions (`/usr/bin/python3 tools/fixtures/gen_data.py`);
// they are committed in fixtures/reference-tokens.json. The Vocab checks re-read
// ../shared/datasets/sentiment/train.jsonl and are skipped (with a note) when it is absent.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Vocab, WordTokenizer } from '../index';

interface Fixture {
  generator: string;
  token_pattern: string;
  tokens: { source: string; text: string; max_len: number; tokens: string[] }[];
  vocab_small: { train_sentences: number; max_len: number; max_size: number; itos: string[] };
  vocab_full: {
    train_sentences: number;
    max_len: number;
    max_size: number;
    size: number;
    head: string[];
    tail: string[];
    sha256: string;
  };
}

const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/reference-tokens.json', import.meta.url), 'utf8'),
) as Fixture;
const TRAIN = fileURLToPath(new URL('../../../../../shared/datasets/sentiment/train.jsonl', import.meta.url));
const hasShared = existsSync(TRAIN);
if (!hasShared) console.warn(`[data] skipping the Vocab golden tests: ${TRAIN} is absent`);

/** The reference's tokenizer: re.findall(r"[a-z0-9']+", text.lower())[:max_len]. */
const reference = (maxLength: number) =>
  new WordTokenizer({ pattern: fixture.token_pattern, normalize: false, maxLength });

function trainTokens(count: number): string[][] {
  const lines = readFileSync(TRAIN, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  const tok = reference(50);
  return lines.slice(0, count).map((l) => tok.tokenize((JSON.parse(l) as { text: string }).text));
}

describe('WordTokenizer vs the PyTorch reference tokenizer', () => {
  it('covers ~200 real sentences and the hand-written Unicode cases', () => {
    expect(fixture.tokens.filter((r) => r.source.startsWith('valid')).length).toBe(150);
    expect(fixture.tokens.filter((r) => r.source.startsWith('handwritten')).length).toBeGreaterThan(15);
  });

  it.each(fixture.tokens.map((r) => [r.source, r] as const))('%s', (_, row) => {
    expect(reference(row.max_len).tokenize(row.text)).toEqual(row.tokens);
  });

  it('agrees with the default NFC normalisation on the real (already NFC) sentences', () => {
    for (const row of fixture.tokens.filter((r) => !r.source.startsWith('handwritten'))) {
      const nfc = new WordTokenizer({ pattern: fixture.token_pattern, maxLength: row.max_len });
      expect(nfc.tokenize(row.text)).toEqual(row.tokens);
    }
  });
});

describe('Vocab.build vs the reference build_vocab', () => {
  it.skipIf(!hasShared)('matches on a cut inside a run of equal counts (first occurrence wins)', () => {
    const { train_sentences, max_size, itos } = fixture.vocab_small;
    const vocab = Vocab.build(trainTokens(train_sentences), { maxSize: max_size });
    expect(vocab.itos).toEqual(itos);
  });

  it.skipIf(!hasShared)('matches the full 10,000-token SST-2 vocabulary', () => {
    const { train_sentences, max_size, size, head, tail, sha256 } = fixture.vocab_full;
    const vocab = Vocab.build(trainTokens(train_sentences), { maxSize: max_size });
    expect(vocab.size).toBe(size);
    expect(vocab.itos.slice(0, 20)).toEqual(head);
    expect(vocab.itos.slice(-20)).toEqual(tail);
    expect(createHash('sha256').update(vocab.itos.join('\n'), 'utf8').digest('hex')).toBe(sha256);
  });

  it.skipIf(!hasShared)('orders ties lexicographically when asked (torchtext), which differs here', () => {
    const { train_sentences, max_size, itos } = fixture.vocab_small;
    const vocab = Vocab.build(trainTokens(train_sentences), { maxSize: max_size, tieBreak: 'lexicographic' });
    expect(vocab.itos).not.toEqual(itos);
    expect(new Set(vocab.itos.slice(0, 20))).toEqual(new Set(itos.slice(0, 20)));
  });
});
