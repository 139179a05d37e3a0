/**
 * The site's markdown settings, shared by the VitePress config and the test that renders every
 * page without a full build (src/site/pages.test.ts).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { MarkdownOptions } from 'vitepress';
import { siteHref } from './repo-links';

/** The docs folder (VitePress's srcDir), with a trailing slash. */
export const DOCS_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Markdown files in the docs folder that are not pages. */
export const SRC_EXCLUDE = ['README.md', 'dist/**', 'node_modules/**'];

/**
 * A docs-relative path is a page when it is a markdown file the site builds. The API reference
 * (`api/`) is one before typedoc has written it: a page rendered first must not link it to the
 * repository (pages.test.ts checks its entries against typedoc's public names instead).
 */
export const isPage = (path: string) =>
  path.endsWith('.md') && path !== 'README.md' && (path.startsWith('api/') || existsSync(DOCS_ROOT + path));

export const markdown: MarkdownOptions = {
  // The TSDoc is written for editors and typedoc: `h_{t−1}` is math, not markdown-it-attrs' `{attrs}`.
  attrs: { disable: true },
  config(md) {
    // Relative links to files the site does not serve point at the repository (repo-links.ts).
    md.core.ruler.push('seqlab-repo-links', (state) => {
      const page: string = state.env.relativePath ?? '';
      for (const block of state.tokens) {
        for (const token of block.children ?? []) {
          if (token.type !== 'link_open') continue;
          const href = token.attrGet('href');
          if (href) token.attrSet('href', siteHref(href, page, isPage));
        }
      }
    });
  },
};
