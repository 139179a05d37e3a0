// The built site in a real browser: Debian's Chromium (`apt-get install -y chromium`, which .ci/run
// does when it is missing) driven by playwright-core, headless, on the static folder served from
// localhost. Every page loads without a console error or a failed request, and every internal link
// leads to a page and an anchor that exist; guide 1's demo reacts to typing; guide 3's chart is
// computed in the page and shows PyTorch's numbers; guides 2, 4, 5 and 6's demos show their tested
// results (guide 4 trains in a Web Worker); guide 7 trains a classifier in a Web Worker and
// classifies typed text; guide 8 draws the gradient norm per step with and without clipping, from
// two runs in a Web Worker. Screenshots go to .reports/docs/. Without Chromium the tests are skipped, and say so.
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import type { Server } from 'node:http';
import { posix } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSite } from './build-site';
import { DOCS_ROOT } from './markdown';
import { serveStatic } from './static-server';

const CHROMIUM = process.env.SEQLAB_CHROMIUM ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(
    `docs browser test: SKIPPED, no Chromium at ${CHROMIUM}. Install it with \`apt-get install -y chromium\` (.ci/run does) or set SEQLAB_CHROMIUM.`,
  );
}

const REPO_ROOT = posix.join(DOCS_ROOT, '../../');
const DIST = `${DOCS_ROOT}dist/`;
const SHOTS = `${REPO_ROOT}.reports/docs/`;

/** Every built page, relative to the folder (`guides/gradients.html`). */
function htmlPages(prefix = ''): string[] {
  return readdirSync(DIST + prefix).flatMap((name) => {
    const rel = prefix + name;
    if (statSync(DIST + rel).isDirectory()) return htmlPages(`${rel}/`);
    return rel.endsWith('.html') && rel !== '404.html' ? [rel] : [];
  });
}

let server: Server | undefined;
let base = '';
let browser: Browser | undefined;

beforeAll(async () => {
  if (!hasChromium) return;
  buildSite();
  ({ server, url: base } = await serveStatic(DIST));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  mkdirSync(SHOTS, { recursive: true });
}, 900_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
});

/** Opens a page and records what went wrong on it: console errors, page errors, failed requests. */
async function open(
  path: string,
): Promise<{ page: Page; problems: string[]; scriptSizes: () => Promise<Map<string, number>> }> {
  const page = await (browser as Browser).newPage();
  const problems: string[] = [];
  // The gzipped size of every JavaScript file the page (or a worker it starts) loads, by URL.
  const sizes: Promise<[string, number]>[] = [];
  page.on('response', (r) => {
    if (/\.m?js$/.test(new URL(r.url()).pathname)) {
      const size = r.body().then((body): [string, number] => [r.url(), gzipSync(body, { level: 9 }).length]);
      // A page closed before a body was read rejects here; only scriptSizes() awaits the sizes, and
      // it is called while the page is open, so the rejection of a closed page is nobody's error.
      size.catch(() => {});
      sizes.push(size);
    }
  });
  const scriptSizes = async () => new Map(await Promise.all(sizes));
  page.on(
    'console',
    (m) => m.type() === 'error' && problems.push(`console: ${m.text()} (${m.location().url})`),
  );
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => r.status() >= 400 && problems.push(`HTTP ${r.status()}: ${r.url()}`));
  await page.goto(base + path, { waitUntil: 'load' });
  return { page, problems, scriptSizes };
}

/** Pages the first test opens at once (see there). */
const PAGES_AT_ONCE = 3;
/** Pages whose demo test below saves the screenshot under the same name, once the demo is done. */
const SHOT_BY_DEMO_TEST = new Set([
  'guides/gradients.html',
  'guides/clipping-and-overfitting.html',
  'guides/sentiment-classifier.html',
]);

const shot = (page: Page, path: string) =>
  page.screenshot({ path: `${SHOTS}${path.replace(/\//g, '_').replace(/\.html$/, '')}.png`, fullPage: true });

describe.skipIf(!hasChromium)('the docs site in Chromium', () => {
  it('loads every page without a console error, a failed request or a broken internal link or anchor', async () => {
    const pages = htmlPages();
    expect(pages.length).toBeGreaterThan(10);
    const problems: string[] = [];
    const scriptKb = new Map<string, number>();
    // Every element id of every page, and every link as the browser resolved it.
    const ids = new Map<string, Set<string>>();
    const links: { from: string; href: string }[] = [];
    const found = new Map<string, string[]>();
    const visit = async (path: string) => {
      const { page, problems: seen, scriptSizes } = await open(path);
      await page.waitForLoadState('networkidle');
      const dom = await page.evaluate(() => ({
        ids: Array.from(document.querySelectorAll('[id]'), (e) => e.id),
        hrefs: Array.from(document.querySelectorAll('a[href]'), (a) => (a as HTMLAnchorElement).href),
      }));
      ids.set(path, new Set(dom.ids));
      links.push(...dom.hrefs.map((href) => ({ from: path, href })));
      if (!path.startsWith('api/')) {
        if (!SHOT_BY_DEMO_TEST.has(path)) await shot(page, path);
        const sizes = await scriptSizes();
        scriptKb.set(path, [...sizes.values()].reduce((a, b) => a + b, 0) / 1024);
      }
      found.set(
        path,
        seen.map((p) => `${path}: ${p}`),
      );
      await page.close();
    };
    // PAGES_AT_ONCE pages open at a time: a page mostly waits (for `load`, then for the network to
    // stay idle 500 ms), so a few at once keep both cores busy. Each page has its own context.
    let next = 0;
    await Promise.all(
      Array.from({ length: PAGES_AT_ONCE }, async () => {
        while (next < pages.length) await visit(pages[next++]);
      }),
    );
    for (const path of pages) problems.push(...(found.get(path) ?? [`${path}: not visited`]));
    expect(problems).toEqual([]);
    // Internal links: to a page the site has (or a file it serves), at an id that page has.
    const broken: string[] = [];
    for (const { from, href } of links) {
      const url = new URL(href);
      if (url.origin !== new URL(base).origin) continue;
      let target = decodeURIComponent(url.pathname).slice(1);
      if (target === '' || target.endsWith('/')) target += 'index.html';
      if (!ids.has(target)) {
        if (!existsSync(DIST + target)) broken.push(`${from}: ${href} (no page ${target})`);
        continue;
      }
      const anchor = decodeURIComponent(url.hash.slice(1));
      if (anchor && !ids.get(target)?.has(anchor))
        broken.push(`${from}: ${href} (no #${anchor} in ${target})`);
    }
    expect(links.length).toBeGreaterThan(500);
    expect(broken).toEqual([]);
    // The docs' budget: a demo loads the library (tensor, layers, data, the wasm kernels' base64,
    // a worker's own copy) in at most 150 KB of gzipped JavaScript: a page's scripts once idle,
    // less those of the lightest page (VitePress and Vue, which every page loads).
    const table = [...scriptKb].sort((a, b) => b[1] - a[1]);
    const framework = Math.min(...scriptKb.values());
    console.log(
      `docs browser test: gzipped JavaScript per page once idle, and over the lightest page (KiB):\n${table
        .map(
          ([path, kb]) =>
            `  ${kb.toFixed(1).padStart(6)}  +${(kb - framework).toFixed(1).padStart(6)}  ${path}`,
        )
        .join('\n')}`,
    );
    expect(framework, 'the lightest page').toBeGreaterThan(0);
    expect(
      table[0][1] - framework,
      `the heaviest page, ${table[0][0]}, over the lightest`,
    ).toBeLessThanOrEqual(150);
  }, 600_000);

  it('guide 1: the mean of embeddings cannot tell the sentences apart, the LSTM can, and it follows typing', async () => {
    const { page, problems } = await open('guides/word-order.html');
    const demo = page.locator('[data-demo="word-order"]');
    await expect.poll(() => demo.locator('[data-value="mean-diff"]').textContent()).toBe('0');
    expect(await demo.locator('[data-value="lstm-diff"]').textContent()).toBe('2.49e-1');
    await demo.getByLabel('sentence B').fill('the dog sat on the mat');
    await expect
      .poll(() => demo.locator('[data-value="verdict"]').textContent())
      .toContain('Different words');
    expect(Number(await demo.locator('[data-value="mean-diff"]').textContent())).toBeGreaterThan(0.01);
    await shot(page, 'guides/word-order-typed.html');
    expect(problems).toEqual([]);
    await page.close();
  }, 120_000);

  it('guide 7: trains a classifier in a Web Worker on wasm, the loss falls, then it classifies typed text', async () => {
    const { page, problems } = await open('guides/sentiment-classifier.html');
    const demo = page.locator('[data-demo="train-classifier"]');
    const status = demo.locator('[data-value="status"]');
    await demo.getByRole('button', { name: 'Train' }).click();
    await demo.getByRole('button', { name: 'Stop' }).click(); // stops after the first batch
    await expect
      .poll(() => status.textContent(), { timeout: 120_000 })
      .toMatch(/^Stopped after 0 full epochs/);
    await demo.getByRole('button', { name: 'Train again' }).click();
    await expect
      .poll(() => status.textContent(), { timeout: 300_000 })
      .toMatch(/^Trained 6 epochs in .* on the wasm backend/);
    const losses = (await demo.locator('[data-value="loss"]').allTextContents()).map(Number);
    expect(losses.at(-1)).toBeLessThan(losses[0] / 3);
    expect(await demo.locator('[data-value="accuracy"]').textContent()).toMatch(
      /^Final accuracy on the 100 held-out sentences: (9\d|100)\.\d %$/,
    );
    await demo.getByLabel('review text').fill('the acting was not good');
    await expect.poll(() => demo.locator('[data-value="prediction"]').textContent()).toMatch(/^negative/);
    console.log(
      `docs browser test: ${await status.textContent()} ${await demo.locator('[data-value="accuracy"]').textContent()}`,
    );
    await shot(page, 'guides/sentiment-classifier.html');
    expect(problems).toEqual([]);
    await page.close();
  }, 600_000);

  it("guide 3: the chart is computed in the page and shows PyTorch's numbers at distance 20", async () => {
    const { page, problems } = await open('guides/gradients.html');
    const demo = page.locator('[data-demo="gradient-flow"]');
    const status = demo.locator('[data-value="status"]');
    await expect.poll(() => status.textContent(), { timeout: 300_000 }).toMatch(/^Computed in this page/);
    const cell = (curve: string) => demo.locator(`tr[data-curve="${curve}"] td`).nth(4); // d = 20
    // gradient_flow.py at distance 20 (apps/trainer/fixtures/gradient-flow.json).
    expect(await cell('rnn-0-dh').textContent()).toBe('4.22e-6');
    expect(await cell('gru-0-dh').textContent()).toBe('6.94e-5');
    expect(await cell('lstm-0-dc').textContent()).toBe('3.82e-5');
    expect(await cell('lstm-2-dc').textContent()).toBe('2.67e-1');
    const paths = await demo
      .locator('svg path[data-curve]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('d')));
    expect(paths).toHaveLength(6);
    for (const d of paths) expect(d).toMatch(/^M[\d.]+,[\d.]+( L[\d.]+,[\d.]+){40,}/);
    console.log(`docs browser test: ${await status.textContent()}`);
    await shot(page, 'guides/gradients.html');
    expect(problems).toEqual([]);
    await page.close();
  }, 600_000);

  it('guide 8: the gradient norm per step is drawn from both runs in a Web Worker, the clipped one at or below maxNorm', async () => {
    const { page, problems } = await open('guides/clipping-and-overfitting.html');
    const demo = page.locator('[data-demo="exploding-gradients"]');
    const status = demo.locator('[data-value="status"]');
    await expect.poll(() => status.getAttribute('data-state'), { timeout: 300_000 }).toBe('done');
    const text = (await status.textContent()) ?? '';
    console.log(`docs browser test: ${text}`);
    expect(text).toMatch(/^Computed 300 steps of both runs in [\d.]+ s in a Web Worker on the wasm backend/);
    const points = async (curve: string) =>
      ((await demo.locator(`svg path[data-curve="${curve}"]`).getAttribute('d')) ?? '')
        .split(' ')
        .filter(Boolean)
        .map((p) => Number(p.slice(1).split(',')[1]));
    const threshold = Number(await demo.locator('svg line[data-threshold]').getAttribute('y1'));
    const applied = await points('clipped-applied');
    const before = await points('clipped-before');
    const free = await points('free');
    expect(applied).toHaveLength(300);
    expect(before).toHaveLength(300);
    // The unclipped norm is drawn until it turns NaN (step 79: examples/exploding-gradients.ts).
    expect(free).toHaveLength(78);
    // SVG y grows downwards: the applied norm stays at or below the line, the unclipped one rises above it.
    expect(Math.min(...applied)).toBeGreaterThanOrEqual(threshold);
    expect(free.filter((y) => y < threshold).length).toBeGreaterThan(70);
    expect(Math.min(...before)).toBeLessThan(threshold); // the clipped run's raw ‖g‖ exceeds maxNorm too
    // The table: the example's numbers (the guide's first table).
    expect(await demo.locator('[data-value="free-max"]').textContent()).toBe('4.17e+21');
    expect(await demo.locator('[data-value="free-nan"]').textContent()).toBe('79');
    expect(await demo.locator('[data-value="applied-max"]').textContent()).toBe('1.000');
    await shot(page, 'guides/clipping-and-overfitting.html');
    // Stop: run again, stop after the first steps; the chart keeps the steps done.
    await demo.getByRole('button', { name: 'Run again' }).click();
    await expect.poll(() => status.textContent()).toMatch(/step [1-9]\d* of 300/);
    await demo.getByRole('button', { name: 'Stop' }).click();
    await expect.poll(() => status.getAttribute('data-state'), { timeout: 120_000 }).toBe('done');
    const [, steps] = (await status.textContent())?.match(/^Stopped after (\d+) steps/) ?? [];
    expect(Number(steps)).toBeGreaterThan(0);
    expect(Number(steps)).toBeLessThan(300);
    expect(await points('clipped-applied')).toHaveLength(Number(steps));
    expect(problems).toEqual([]);
    await page.close();
  }, 600_000);

  // Guides 2, 4, 5 and 6.
  it('guide 2: the from-scratch loop and RNN give the same hidden states and gradients, and follow typing', async () => {
    const { page, problems } = await open('guides/hidden-state.html');
    const demo = page.locator('[data-demo="hidden-state"]');
    await expect.poll(() => demo.locator('tr[data-step]').count()).toBe(12);
    expect(Number(await demo.locator('[data-value="forward-diff"]').textContent())).toBeLessThan(1e-6);
    const grads = await demo.locator('[data-value="gradient-diff"]').allTextContents();
    expect(grads).toHaveLength(4);
    for (const g of grads) expect(Number(g.trim().split(' ').at(-1)?.replace(';', ''))).toBeLessThan(1e-5);
    // hidden-state.test.ts: the effect of x_1 at t = 1 and t = 12.
    const memory = demo.locator('[data-value="memory"]');
    expect([await memory.first().textContent(), await memory.last().textContent()]).toEqual([
      '3.33e-1',
      '4.23e-5',
    ]);
    expect(await demo.locator('[data-value="backend"]').textContent()).toBe('wasm');
    await demo.getByLabel('input sequence').fill('1, 0, 0');
    await expect.poll(() => demo.locator('tr[data-step]').count()).toBe(3);
    expect(Number(await demo.locator('[data-value="forward-diff"]').textContent())).toBeLessThan(1e-6);
    await shot(page, 'guides/hidden-state-typed.html');
    expect(problems).toEqual([]);
    await page.close();
  }, 120_000);

  it('guide 4: the LSTM trains in a Web Worker on the wasm backend, stops when asked, and draws its gates', async () => {
    const { page, problems } = await open('guides/lstm-gates.html');
    const demo = page.locator('[data-demo="lstm-gates"]');
    const status = demo.locator('[data-value="status"]');
    await expect.poll(() => status.getAttribute('data-state'), { timeout: 300_000 }).toBe('done');
    const text = (await status.textContent()) ?? '';
    console.log(`docs browser test: ${text}`);
    expect(text).toMatch(/^Trained after 200 steps in [\d.]+ s in a Web Worker on the wasm backend/);
    const [, first, last] = text.match(/loss (\d+\.\d+) → (\d+\.\d+)/) ?? [];
    expect(Number(first)).toBeGreaterThan(0.5);
    expect(Number(last)).toBeLessThan(Number(first) / 10);
    const [, labels] = text.match(/(\d+\.\d+) % of the labels right/) ?? [];
    expect(Number(labels)).toBeGreaterThan(99);
    // The heatmap: two prediction rows and 8 units of f, i, o and c, one column per character.
    const sentence = await demo.getByLabel('sentence').inputValue();
    await expect.poll(() => demo.locator('[data-value="heatmap"] rect').count()).toBe(34 * sentence.length);
    await shot(page, 'guides/lstm-gates-trained.html');
    await demo.getByLabel('sentence').fill('"a" (b)');
    await expect.poll(() => demo.locator('[data-value="heatmap"] rect').count()).toBe(34 * 7);
    // The forget gate closes at the quote marks: some unit's square under the first " is near white.
    const titles = await demo.locator('[data-value="heatmap"] rect title').allTextContents();
    const atQuote = titles.filter((t) => t.startsWith('forget f') && t.includes(`at '"'`));
    expect(atQuote.length).toBe(16);
    expect(Math.min(...atQuote.map((t) => Number(t.split(': ').at(-1))))).toBeLessThan(0.1);
    // Stop: train again, stop after the first steps, and get a half-trained model.
    await demo.getByRole('button', { name: 'Train again' }).click();
    await expect.poll(() => status.textContent()).toMatch(/step [1-9]\d* of 200/);
    await demo.getByRole('button', { name: 'Stop' }).click();
    await expect.poll(() => status.getAttribute('data-state'), { timeout: 120_000 }).toBe('done');
    const [, steps] = (await status.textContent())?.match(/^Stopped after (\d+) steps/) ?? [];
    expect(Number(steps)).toBeGreaterThan(0);
    expect(Number(steps)).toBeLessThan(200);
    expect(problems).toEqual([]);
    await page.close();
  }, 600_000);

  it("guide 5: the parameter table is the library's count, RNN = 1/4 and GRU = 3/4 of the LSTM", async () => {
    const { page, problems } = await open('guides/gru.html');
    const demo = page.locator('[data-demo="gru-params"]');
    const row = (r: string) => demo.locator(`tr[data-row="${r}"]`);
    await expect.poll(() => row('custom').count()).toBe(1);
    // gru-params.test.ts's table.
    expect(await row('3').locator('td').allTextContents()).toEqual([
      'I 300, H 256, 2 layers, bidirectional',
      '679,936',
      '2,039,808',
      '2,719,744',
      '0.250',
      '0.750',
    ]);
    await demo.getByLabel('hidden size').fill('10');
    await demo.getByLabel('input size').fill('5');
    await expect.poll(() => row('custom').locator('[data-value="lstm"]').textContent()).toBe('680');
    expect(await row('custom').locator('[data-value="rnn"]').textContent()).toBe('170');
    expect(await row('custom').locator('[data-value="gru"]').textContent()).toBe('510');
    expect(problems).toEqual([]);
    await page.close();
  }, 120_000);

  it('guide 6: the shapes are computed live, as PyTorch gives them', async () => {
    const { page, problems } = await open('guides/stacked-bidirectional.html');
    const demo = page.locator('[data-demo="layer-shapes"]');
    const value = (k: string) => demo.locator(`[data-value="${k}"]`).textContent();
    await expect.poll(() => value('output')).toBe('[5, 3, 40]');
    expect(await value('hN')).toBe('[4, 3, 20]');
    expect(await value('cN')).toBe('[4, 3, 20]');
    await demo.getByLabel('cell').selectOption('gru');
    await demo.getByLabel('batch first').check();
    await expect.poll(() => value('output')).toBe('[3, 5, 40]');
    expect(await value('hN')).toBe('[4, 3, 20]');
    expect(await demo.locator('[data-value="cN"]').count()).toBe(0);
    await demo.getByLabel('bidirectional').uncheck();
    await expect.poll(() => value('output')).toBe('[3, 5, 20]');
    expect(await value('hN')).toBe('[2, 3, 20]');
    expect(problems).toEqual([]);
    await page.close();
  }, 120_000);
});
