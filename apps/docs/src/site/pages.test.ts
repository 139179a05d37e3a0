// Every page of the site rendered with the site's own markdown settings, without a full build (the
// build is `pnpm docs:build`; site.slow.test.ts checks its output): headings, internal links and
// their anchors, links into the repository, code included from files, and the live demos.

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import typedocOptions, { publicEntries } from '../../typedoc.config.mjs';
import { DOCS_ROOT } from './markdown';
import { REPO_BLOB } from './repo-links';

const REPO_ROOT = posix.join(DOCS_ROOT, '../../');

const TSX = posix.join(REPO_ROOT, 'node_modules/.bin/tsx');

/** Every markdown file the site builds, but the generated API reference. */
const PAGES = [
  'index.md',
  ...['guides', 'examples'].flatMap((dir) =>
    readdirSync(DOCS_ROOT + dir)
      .filter((f) => f.endsWith('.md'))
      .map((f) => `${dir}/${f}`),
  ),
];

/** The h1 of each guide and of the examples page. */
const TITLES: Record<string, string> = {
  'guides/word-order.md': 'Why word order needs memory',
  'guides/gradients.md': "Why vanilla RNNs forget, and what the LSTM's forget gate really does",
  'guides/getting-started.md': "Getting started: the article's SentimentLSTM",
  'guides/coming-from-pytorch.md': 'Coming from PyTorch',
  'guides/packing.md': 'Padding, bucketing and packing',
  'guides/hidden-state.md': 'The hidden state: an RNN from scratch, and what RNN adds',
  'guides/lstm-gates.md': "The LSTM's gates and cell state",
  'guides/gru.md': 'GRU, and what each cell costs in parameters',
  'guides/stacked-bidirectional.md': 'Stacked and bidirectional layers, and the shapes they return',
  'guides/sentiment-classifier.md': 'The sentiment classifier, end to end',
  'guides/clipping-and-overfitting.md': 'Exploding gradients and clipping; overfitting and what stops it',
  'guides/pytorch-interop.md': 'Moving weights between PyTorch and seqlab',
  'guides/cli-and-backends.md': 'The CLI trainer, its report, the backends and the benchmarks',
  'examples/index.md': 'Runnable examples',
};

const html = new Map<string, string>();
let attrsProbe = '';
beforeAll(() => {
  const script = fileURLToPath(new URL('./render-pages.ts', import.meta.url));
  const run = spawnSync(TSX, ['--conditions=@seqlab/source', script], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (run.status !== 0) throw new Error(`render-pages.ts failed (status ${run.status}):\n${run.stderr}`);
  for (const [page, rendered] of Object.entries(JSON.parse(run.stdout) as Record<string, string>)) {
    if (page === '(attrs probe)') attrsProbe = rendered;
    else html.set(page, rendered);
  }
}, 120_000);

const ids = (page: string) =>
  new Set([...(html.get(page) ?? '').matchAll(/ id="([^"]+)"/g)].map((m) => m[1]));
const hrefs = (page: string) =>
  [...(html.get(page) ?? '').matchAll(/<a [^>]*href="([^"]+)"/g)].map((m) => m[1]);

describe('the site pages', () => {
  it('include every guide and example page', () => {
    expect(PAGES).toEqual(expect.arrayContaining(['index.md', ...Object.keys(TITLES)]));
  });

  it.each(Object.entries(TITLES))('%s has its title as its one h1', (page, title) => {
    const h1 = [...(html.get(page) ?? '').matchAll(/<h1[^>]*>(.*?)<\/h1>/g)].map((m) =>
      m[1]
        .replace(/<[^>]+>/g, '')
        .replace(/&ZeroWidthSpace;|\u200b/g, '')
        .replace(/&#39;/g, "'")
        .trim(),
    );
    expect(h1).toEqual([title]);
  });

  it('link to pages that exist, at anchors that exist', () => {
    const broken: string[] = [];
    for (const page of PAGES) {
      for (const href of hrefs(page)) {
        if (/^[a-z]+:/.test(href) || href.startsWith('/api/')) continue;
        const [path, anchor] = href.split('#');
        const target = !path
          ? page
          : path.startsWith('/')
            ? posix.normalize(path.slice(1) || 'index.md')
            : posix.normalize(posix.join(posix.dirname(page), path));
        const file = target.endsWith('/') ? `${target}index.md` : target.replace(/\.html$/, '.md');
        if (file.startsWith('api/')) {
          // Generated at build time: check that it names a public entry.
          const entry = file.slice('api/'.length).replace(/\.md$/, '');
          if (entry !== 'index' && !publicEntries.some((e) => e.name === entry)) {
            broken.push(`${page}: ${href}`);
          }
          continue;
        }
        if (!html.has(file)) broken.push(`${page}: ${href} (no page ${file})`);
        else if (anchor && !ids(file).has(decodeURIComponent(anchor)))
          broken.push(`${page}: ${href} (no #${anchor})`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('point links to files the site does not serve at files that exist in the repository', () => {
    const links = PAGES.flatMap((page) => hrefs(page).filter((href) => href.startsWith(REPO_BLOB)));
    expect(links.length).toBeGreaterThan(5);
    const missing = links.filter(
      (href) => !existsSync(REPO_ROOT + href.slice(REPO_BLOB.length).split('#')[0]),
    );
    expect(missing).toEqual([]);
  });

  it('link the guides to the API reference', () => {
    for (const page of ['guides/word-order.md', 'guides/gradients.md', 'guides/getting-started.md']) {
      expect(
        hrefs(page).some((href) => href.includes('api/@seqlab/')),
        page,
      ).toBe(true);
    }
  });

  it('include the example files and demo sources as code', () => {
    const examples = html.get('examples/index.md') ?? '';
    expect(examples).toContain('trainSimpleRnn');
    expect(examples).toContain('SentimentLSTM');
    expect(html.get('guides/word-order.md')).toContain('compareWordOrder');
    for (const page of PAGES)
      expect(html.get(page), page).not.toMatch(/Code snippet path not found|File not found/i);
  });

  it('place the live demos in guides 1, 3 and 8', () => {
    expect(html.get('guides/word-order.md')).toContain('<WordOrderDemo />');
    expect(html.get('guides/gradients.md')).toContain('<GradientFlowChart />');
    expect(html.get('guides/clipping-and-overfitting.md')).toContain('<ExplodingGradientsChart />');
  });

  it('renders every page', () => {
    expect([...html.keys()].sort()).toEqual([...PAGES].sort());
  });

  it("fail the API reference's build on any typedoc warning: an undocumented export or member, a broken link, a type no entry exports", () => {
    // `pnpm docs:build` runs typedoc first; with these options a warning is an error and the build
    // stops (`pnpm --filter @seqlab/docs docs:check` runs the validation alone).
    expect(typedocOptions.validation).toMatchObject({
      notExported: true,
      invalidLink: true,
      notDocumented: true,
    });
    expect(typedocOptions.treatWarningsAsErrors).toBe(true);
    expect(typedocOptions.treatValidationWarningsAsErrors).toBe(true);
    // typedoc's default kinds (classes, functions, methods, properties, accessors, type aliases, …),
    // neither narrowed nor hidden from the check.
    expect(typedocOptions).not.toHaveProperty('requiredToBeDocumented');
    expect(typedocOptions).not.toHaveProperty('excludeNotDocumented');
  });

  it('keep the TSDoc math of the API reference as text (no markdown-it-attrs)', () => {
    expect(attrsProbe).toContain('h_{t−1}');
  });
});
