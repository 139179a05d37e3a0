import { existsSync, readFileSync } from 'node:fs';
import { defineConfig } from 'vitepress';
import { DOCS_ROOT, markdown, SRC_EXCLUDE } from '../src/site/markdown';

/**
 * The API reference's sidebar: one page per public entry (`@seqlab/tensor`, `@seqlab/tensor/testing`,
 * …), listed in the file typedoc writes next to them (`pnpm --filter @seqlab/docs docs:api`).
 */
function apiSidebar(): { text: string; link: string }[] {
  const file = `${DOCS_ROOT}api/typedoc-sidebar.json`;
  if (!existsSync(file)) {
    throw new Error(
      `docs: ${file} is missing. Generate the API reference first: pnpm --filter @seqlab/docs docs:api`,
    );
  }
  return JSON.parse(readFileSync(file, 'utf8'));
}

// The workspace packages are imported by their public names and resolved to their TypeScript
// sources through the `@seqlab/source` export condition, as vitest and the typecheck do.
const conditions = ['@seqlab/source'];

export default defineConfig({
  title: 'seqlab',
  description: 'PyTorch-grade RNN, LSTM and GRU for TypeScript, in Node and the browser',
  outDir: 'dist',
  head: [['link', { rel: 'icon', type: 'image/svg+xml', href: '/favicon.svg' }]],
  srcExclude: SRC_EXCLUDE,
  lastUpdated: false,
  // The page hash map and site data (every sidebar) in one cached chunk, not inlined in each page.
  metaChunk: true,
  markdown,
  vite: {
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: conditions } },
    // Demo workers (guide 7) import the packages as ES modules.
    worker: { format: 'es' },
  },
  themeConfig: {
    nav: [
      { text: 'Guides', link: '/guides/word-order' },
      { text: 'Examples', link: '/examples/' },
      { text: 'API', link: '/api/' },
    ],
    sidebar: {
      '/api/': [{ text: 'API reference', link: '/api/', items: apiSidebar() }],
      '/': [
        {
          text: 'Guides',
          items: [
            { text: '1. Why word order needs memory', link: '/guides/word-order' },
            { text: '2. The hidden state', link: '/guides/hidden-state' },
            { text: '3. Vanishing gradients', link: '/guides/gradients' },
            { text: "4. The LSTM's gates", link: '/guides/lstm-gates' },
            { text: '5. GRU and parameter counts', link: '/guides/gru' },
            { text: '6. Stacked and bidirectional', link: '/guides/stacked-bidirectional' },
            { text: '7. The sentiment classifier, end to end', link: '/guides/sentiment-classifier' },
            { text: '8. Exploding gradients, overfitting', link: '/guides/clipping-and-overfitting' },
            { text: '9. Weights between PyTorch and seqlab', link: '/guides/pytorch-interop' },
            { text: '10. The CLI trainer and the backends', link: '/guides/cli-and-backends' },
            { text: 'Getting started: SentimentLSTM', link: '/guides/getting-started' },
            { text: 'Coming from PyTorch', link: '/guides/coming-from-pytorch' },
            { text: 'Padding, bucketing, packing', link: '/guides/packing' },
            { text: 'Keeping the page responsive', link: '/guides/responsive-page' },
          ],
        },
        { text: 'Examples', items: [{ text: 'Runnable examples', link: '/examples/' }] },
        { text: 'API reference', items: [{ text: 'All packages', link: '/api/' }] },
      ],
    },
    outline: [2, 3],
    search: { provider: 'local' },
  },
});
