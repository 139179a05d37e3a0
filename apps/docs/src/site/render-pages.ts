/**
 * Renders the site's hand-written pages with the site's markdown settings and prints them as JSON
 * (`{ "guides/gradients.md": "<h1 …" }`), for pages.test.ts. A script of its own because VitePress's
 * Node API (Vite 5) must run under Node's own module resolution, not inside the test runner.
 *
 *   npx tsx --conditions=@seqlab/source apps/docs/src/site/render-pages.ts
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createMarkdownRenderer } from 'vitepress';
import { DOCS_ROOT, markdown } from './markdown';

/** The site's hand-written pages (the API reference is generated at build time). */
function handWrittenPages(): string[] {
  return [
    'index.md',
    ...['guides', 'examples'].flatMap((dir) =>
      readdirSync(DOCS_ROOT + dir)
        .filter((f) => f.endsWith('.md'))
        .map((f) => `${dir}/${f}`),
    ),
  ];
}

const md = await createMarkdownRenderer(DOCS_ROOT, markdown, '/');
const out: Record<string, string> = {};
for (const page of handWrittenPages()) {
  const src = readFileSync(DOCS_ROOT + page, 'utf8');
  out[page] = md.render(src, { relativePath: page, path: DOCS_ROOT + page, cleanUrls: false });
}
out['(attrs probe)'] = md.render('r_t = σ(W h_{t−1} + b)');
process.stdout.write(JSON.stringify(out));
