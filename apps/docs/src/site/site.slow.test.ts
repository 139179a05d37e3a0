// The built site: `pnpm docs:build` (turbo: typedoc, then VitePress; cached when nothing changed)
// writes a plain static folder, apps/docs/dist. Every page is there with its title, every internal
// link and anchor resolves inside the folder, the API reference has a page per public entry, and
// guide 1's demo was rendered with the library's numbers at build time.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { publicEntries } from '../../typedoc.config.mjs';
import { buildSite } from './build-site';
import { DOCS_ROOT } from './markdown';

const DIST = `${DOCS_ROOT}dist/`;

/** Every file under `dir`, relative to it. */
function walk(dir: string, prefix = ''): string[] {
  return readdirSync(dir + prefix).flatMap((name) => {
    const rel = prefix + name;
    return statSync(dir + rel).isDirectory() ? walk(dir, `${rel}/`) : [rel];
  });
}

const pages = new Map<string, string>();
beforeAll(() => {
  buildSite();
  for (const file of walk(DIST).filter((f) => f.endsWith('.html'))) {
    pages.set(file, readFileSync(DIST + file, 'utf8'));
  }
}, 900_000);

const text = (html: string) =>
  html
    .replace(/<[^>]+>/g, '')
    .replace(/&#39;/g, "'")
    .replace(/&ZeroWidthSpace;|\u200b/g, '')
    .trim();
const h1 = (page: string) =>
  [...(pages.get(page) ?? '').matchAll(/<h1[^>]*>(.*?)<\/h1>/gs)].map((m) => text(m[1]));
// Each page's ids, parsed once: the link check asks for them once per link.
const idCache = new Map<string, Set<string>>();
const ids = (page: string) => {
  let found = idCache.get(page);
  if (!found) {
    found = new Set([...(pages.get(page) ?? '').matchAll(/ id="([^"]+)"/g)].map((m) => m[1]));
    idCache.set(page, found);
  }
  return found;
};

describe('the built site (apps/docs/dist)', () => {
  it('has a page for every guide, the examples and the home page', () => {
    for (const page of [
      'index.html',
      '404.html',
      'examples/index.html',
      'guides/word-order.html',
      'guides/gradients.html',
      'guides/getting-started.html',
      'guides/coming-from-pytorch.html',
      'guides/packing.html',
      // Guides 2, 4, 5 and 6.
      'guides/hidden-state.html',
      'guides/lstm-gates.html',
      'guides/gru.html',
      'guides/stacked-bidirectional.html',
      'guides/sentiment-classifier.html',
    ]) {
      expect(pages.has(page), page).toBe(true);
    }
    expect(h1('guides/word-order.html')).toEqual(['Why word order needs memory']);
    expect(h1('guides/gradients.html')).toEqual([
      "Why vanilla RNNs forget, and what the LSTM's forget gate really does",
    ]);
    expect(h1('examples/index.html')).toEqual(['Runnable examples']);
    expect(h1('guides/lstm-gates.html')).toEqual(["The LSTM's gates and cell state"]);
  });

  it('has an API reference page for every public entry of the five packages', () => {
    expect(publicEntries.length).toBeGreaterThanOrEqual(9);
    for (const { name } of publicEntries) {
      expect(h1(`api/${name}.html`), name).toEqual([name]);
    }
    expect(ids('api/@seqlab/layers.html')).toContain('lstm');
    expect(pages.get('api/@seqlab/layers.html')).toContain('forgetBias');
  });

  it('resolves every internal link and anchor inside the folder', () => {
    const broken: string[] = [];
    for (const [page, html] of pages) {
      for (const [, href] of html.matchAll(/<a [^>]*href="([^"]+)"/g)) {
        if (/^[a-z]+:/i.test(href) || href.startsWith('//')) continue;
        const [path, anchor] = href.split('#');
        const target = !path
          ? page
          : path.startsWith('/')
            ? posix.normalize(path.slice(1))
            : posix.normalize(posix.join(posix.dirname(page), path));
        const file = target === '' || target.endsWith('/') ? `${target}index.html` : target;
        if (!existsSync(DIST + file)) broken.push(`${page}: ${href}`);
        else if (anchor && file.endsWith('.html') && !ids(file).has(decodeURIComponent(anchor))) {
          broken.push(`${page}: ${href} (no #${anchor})`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('serves every script and stylesheet the pages load', () => {
    const missing = new Set<string>();
    for (const html of pages.values()) {
      for (const [, src] of html.matchAll(/<(?:script|link)[^>]+(?:src|href)="(\/[^"]+)"/g)) {
        if (!existsSync(DIST + src.slice(1))) missing.add(src);
      }
    }
    expect([...missing]).toEqual([]);
  });

  it("renders guide 1's demo with the library's numbers, and places guide 3's chart", () => {
    const wordOrder = pages.get('guides/word-order.html') ?? '';
    expect(wordOrder).toContain('data-demo="word-order"');
    // compareWordOrder ran while the page was rendered (the browser runs it again on every edit).
    expect(wordOrder).toMatch(/data-value="mean-diff"[^>]*>0</);
    expect(wordOrder).toMatch(/data-value="lstm-diff"[^>]*>2\.49e-1</);
    expect(pages.get('guides/gradients.html')).toContain('data-demo="gradient-flow"');
  });

  it("renders guides 2, 5 and 6's demos with the library's numbers, and places guide 4's", () => {
    expect(pages.get('guides/hidden-state.html')).toMatch(/data-value="memory"[^>]*>3\.33e-1</);
    expect(pages.get('guides/gru.html')).toMatch(/data-value="gru"[^>]*>2,039,808</);
    expect(pages.get('guides/stacked-bidirectional.html')).toMatch(/data-value="hN"[^>]*>\[4, 3, 20\]</);
    expect(pages.get('guides/lstm-gates.html')).toContain('data-demo="lstm-gates"');
  });
});
