// The built site in a real browser: Debian's Chromium (`apt-get install -y chromium`, which .ci/run
// does when it is missing) driven by playwright-core, headless, on the static folder served from
// localhost. Every page loads without a console error or a failed request; guide 1's demo reacts
// to typing; guide 3's chart is computed in the page and shows PyTorch's numbers; guide 7 trains a
// classifier in a Web Worker and classifies typed text. Screenshots go
// to .reports/docs/. Without Chromium the tests are skipped, and say so.
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import type { Server } from 'node:http';
import { posix } from 'node:path';
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
async function open(path: string): Promise<{ page: Page; problems: string[] }> {
  const page = await (browser as Browser).newPage();
  const problems: string[] = [];
  page.on(
    'console',
    (m) => m.type() === 'error' && problems.push(`console: ${m.text()} (${m.location().url})`),
  );
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => r.status() >= 400 && problems.push(`HTTP ${r.status()}: ${r.url()}`));
  await page.goto(base + path, { waitUntil: 'load' });
  return { page, problems };
}

const shot = (page: Page, path: string) =>
  page.screenshot({ path: `${SHOTS}${path.replace(/\//g, '_').replace(/\.html$/, '')}.png`, fullPage: true });

describe.skipIf(!hasChromium)('the docs site in Chromium', () => {
  it('loads every page without a console error or a failed request', async () => {
    const pages = htmlPages();
    expect(pages.length).toBeGreaterThan(10);
    const problems: string[] = [];
    for (const path of pages) {
      const { page, problems: found } = await open(path);
      await page.waitForLoadState('networkidle');
      if (!path.startsWith('api/')) await shot(page, path);
      problems.push(...found.map((p) => `${path}: ${p}`));
      await page.close();
    }
    expect(problems).toEqual([]);
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
});
