// @seqlab/datasets/node: the datasets that need Node (the file system, node:crypto).

export type { SpamAssassinExample, SpamAssassinOptions, SpamAssassinSplitName } from './spam-assassin';
// The SpamAssassin corpus
export { emailBody, SPAM_ASSASSIN_LABELS, spamAssassin, spamAssassinSplit } from './spam-assassin';
