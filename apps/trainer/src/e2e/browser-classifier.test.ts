// End-to-end: the guide apps/docs/guides/browser-classifier.md, followed in headless Chromium. A
// small run is trained here with the built CLI, its four files are copied to a site directory, the
// guide's page (its `index.html` and `main.ts` blocks, read from the guide) is bundled with esbuild
// from @seqlab/classifier's built dist, with kernels.wasm copied beside it as the guide says, served
// over HTTP and opened in Debian's chromium through playwright-core (no browser download). The
// labels and probabilities the page shows must be those `seqlab predict --json` prints for the
// same texts (to its 6 decimals), on the wasm backend: the page never calls `ready()`,
// loadTextClassifier does, so kernels.wasm is fetched and compiled and the console stays quiet. The same run's report.html
// is opened there too, checked in the browser's layout (legends beside no curve, no text cut off)
// and saved as a screenshot, .reports/report-html.png.
//
// Chromium: `apt-get install -y chromium` (.ci/install-tools does it when it is missing). Without
// /usr/bin/chromium the test is skipped, and says so.
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrainMetrics } from '../commands/train/index';
import { parseTrainConfig } from '../config';
import { REFRESH_SECONDS, type ReportStatus, writeReport } from '../report';
import type { EpochRecord, StepRecord } from '../train-loop';
import { fixture, lines, REPO, requireBuiltCli, runCli, TempDirs, TINY } from './cli-harness';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(
    `browser-classifier.test.ts: skipped, ${CHROMIUM} is missing (apt-get install -y chromium, or run .ci/install-tools)`,
  );
}

const GUIDE = join(REPO, 'apps/docs/guides/browser-classifier.md');
const TRAINER = fileURLToPath(new URL('../../', import.meta.url));
/** The texts the page and `seqlab predict` classify: seen, unseen, mixed, punctuation only. */
const TEXTS = [
  'very great player sports news',
  'great pizza very tasty',
  'the sunny rain tomorrow',
  'words the model never saw',
  'team pizza rain',
  '!!!',
];

/** The guide's code blocks titled `[name]` (VitePress's code-group titles), by name. */
function guideBlocks(markdown: string): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const match of markdown.matchAll(/^```\w+ \[([\w.-]+)\]\n([\s\S]*?)^```$/gm)) {
    blocks.set(match[1], match[2]);
  }
  return blocks;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
};

/** A static server of `root`, as any host of a site would be. */
async function serve(root: string): Promise<{ server: Server; url: string }> {
  const server = createServer(async (request, response) => {
    const path = normalize(join(root, decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname)));
    try {
      if (!path.startsWith(root)) throw new Error('outside the site');
      const file = path.endsWith('/') ? join(path, 'index.html') : path;
      const body = await readFile(file);
      response.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' });
      response.end(body);
    } catch {
      response.writeHead(404, 'Not Found').end();
    }
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

const temp = new TempDirs();
let run: string;
let site: string;
let server: Server | undefined;
let siteUrl: string;

beforeAll(async () => {
  if (!hasChromium) return;
  requireBuiltCli();
  const dir = await temp.make();
  run = join(dir, 'run');
  // 1. Train (seconds: the tiny model of the e2e tests on the topics fixture).
  const trained = await runCli(['--quiet', 'train', '--train', fixture('topics.csv'), ...TINY, '--out', run]);
  expect(trained.stderr).toBe('');
  expect(trained.code).toBe(0);
  // 2. Copy the four files to the site, as the guide says.
  site = join(dir, 'site');
  await mkdir(join(site, 'run'), { recursive: true });
  for (const file of ['config.json', 'tokenizer.json', 'labels.json', 'model.safetensors'])
    await copyFile(join(run, file), join(site, 'run', file));
  // 3-4. The guide's page, bundled as the guide bundles it, from the built package.
  const blocks = guideBlocks(await readFile(GUIDE, 'utf8'));
  const html = blocks.get('index.html');
  const main = blocks.get('main.ts');
  if (!html || !main) throw new Error(`${GUIDE}: expected code blocks titled [index.html] and [main.ts]`);
  await writeFile(join(site, 'index.html'), html);
  const { build } = await import('esbuild');
  await build({
    stdin: { contents: main, loader: 'ts', resolveDir: TRAINER, sourcefile: 'main.ts' },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    outfile: join(site, 'main.js'),
    logLevel: 'silent',
  });
  await copyFile(join(REPO, 'packages/tensor/dist/kernels.wasm'), join(site, 'kernels.wasm'));
  ({ server, url: siteUrl } = await serve(site));
}, 120_000);

afterAll(async () => {
  await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
  await temp.cleanup();
});

describe('the browser-classifier guide in headless Chromium', () => {
  it('finds the page and its code in the guide', async () => {
    const blocks = guideBlocks(await readFile(GUIDE, 'utf8'));
    expect([...blocks.keys()]).toEqual(['index.html', 'main.ts']);
    expect(blocks.get('main.ts')).toContain("loadTextClassifier(new URL('./run/', location.href))");
  });

  it.skipIf(!hasChromium)(
    'the page shows the labels and probabilities of seqlab predict --json for the same texts',
    async () => {
      const predicted = await runCli(['predict', '--run', run, '--json', ...TEXTS]);
      expect(predicted.stderr).toBe('');
      expect(predicted.code).toBe(0);
      const cli = lines(predicted.stdout).map(
        (line) => JSON.parse(line) as { text: string; label: string; probabilities: Record<string, number> },
      );
      expect(cli.map((p) => p.text)).toEqual(TEXTS);

      const { chromium } = await import('playwright-core');
      // --no-sandbox: the test may run as root (CI containers), where Chromium's sandbox cannot start.
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox'],
      });
      try {
        const page = await browser.newPage();
        const problems: string[] = [];
        page.on('pageerror', (error) => problems.push(error.message));
        // Every request but the browser's own favicon.ico must succeed (the guide's page has none).
        const wasm: string[] = [];
        page.on('response', (response) => {
          if (response.status() >= 400 && !response.url().endsWith('/favicon.ico'))
            problems.push(`${response.url()}: HTTP ${response.status()}`);
          if (response.url().endsWith('.wasm')) wasm.push(new URL(response.url()).pathname);
        });
        // No warning either: a page running the js kernels before ready() would get one.
        page.on('console', (message) => {
          if (
            (message.type() === 'error' || message.type() === 'warning') &&
            !message.text().startsWith('Failed to load resource')
          )
            problems.push(message.text());
        });
        // Counts the kernels' streaming compilations.
        await page.addInitScript(() => {
          const { compileStreaming } = WebAssembly;
          (globalThis as unknown as { streamed: number }).streamed = 0;
          WebAssembly.compileStreaming = (source) => {
            (globalThis as unknown as { streamed: number }).streamed++;
            return compileStreaming(source);
          };
        });
        await page.goto(siteUrl);
        await page.locator('button:enabled').waitFor({ timeout: 30_000 });
        await page.locator('#texts').fill(TEXTS.join('\n'));
        await page.locator('button').click();
        await page
          .locator('#results li')
          .nth(TEXTS.length - 1)
          .waitFor();
        const shown = await page.locator('#results li').evaluateAll((items) =>
          items.map((item) => ({
            text: item.textContent ?? '',
            label: (item as HTMLElement).dataset.label ?? '',
            probabilities: JSON.parse((item as HTMLElement).dataset.probabilities ?? 'null') as number[],
          })),
        );
        const labelNames = JSON.parse(await readFile(join(run, 'labels.json'), 'utf8')).names as string[];
        expect(problems).toEqual([]);
        expect(wasm).toEqual(['/kernels.wasm']);
        expect(await page.evaluate('streamed')).toBe(1);
        expect(shown).toHaveLength(TEXTS.length);
        for (const [i, { label, probabilities }] of cli.entries()) {
          expect(shown[i].label, TEXTS[i]).toBe(label);
          expect(shown[i].text).toContain(TEXTS[i]);
          expect(shown[i].probabilities).toHaveLength(labelNames.length);
          for (const [k, name] of labelNames.entries()) {
            expect(
              Math.abs(shown[i].probabilities[k] - probabilities[name]),
              `${TEXTS[i]}: ${name}`,
            ).toBeLessThan(1e-6);
          }
        }
        // Not a trivial model: the texts do not all get the same label.
        expect(new Set(cli.map((p) => p.label)).size).toBeGreaterThan(1);
      } finally {
        await browser.close();
      }
    },
    120_000,
  );
});

describe("the run's report.html in headless Chromium", () => {
  it.skipIf(!hasChromium)(
    'shows the finished run without a console error or a request, legends off the curves, no text cut off; screenshot in .reports/',
    async () => {
      const { chromium } = await import('playwright-core');
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox'],
      });
      try {
        const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
        const problems: string[] = [];
        page.on('pageerror', (error) => problems.push(error.message));
        page.on('console', (message) => {
          if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
        });
        const report = pathToFileURL(join(run, 'report.html')).href;
        // Self-contained: the page itself is the only request.
        page.on('request', (request) => {
          if (request.url() !== report) problems.push(`request: ${request.url()}`);
        });
        await page.goto(report);
        const metrics = JSON.parse(await readFile(join(run, 'metrics.json'), 'utf8')) as {
          test: { examples: number; labels: string[] };
        };
        const n = metrics.test.labels.length;

        expect(await page.locator('#status').textContent()).toBe('finished: 2 of 2 epochs.');
        expect(await page.locator('meta[http-equiv="refresh"]').count()).toBe(0);
        expect(await page.locator('svg.chart').count()).toBe(4);
        expect(await page.locator('svg.chart .marker').count()).toBeGreaterThanOrEqual(4 * 2);
        expect(await page.locator('svg.chart polyline.faint').count()).toBe(1);
        const ticks = await page.locator('svg.chart text.x-tick').allTextContents();
        expect(ticks.length).toBeGreaterThan(0);
        expect(
          ticks.every((t) => /^\d+$/.test(t)),
          ticks.join(' '),
        ).toBe(true);
        const confusion = page.locator('svg.confusion');
        expect(await confusion.locator('text.title').textContent()).toBe(
          `Confusion matrix, test set (${metrics.test.examples} examples)`,
        );
        expect(await confusion.locator('text.subtitle').textContent()).toBe(
          'rows: true label, columns: predicted label; % of the row',
        );
        // The label names as shown (a <title> inside each holds the full name as a tooltip).
        const shown = (cls: string) =>
          confusion.locator(`text.${cls}`).evaluateAll((els) => els.map((e) => e.lastChild?.textContent));
        expect(await shown('row-label')).toEqual(metrics.test.labels);
        expect(await shown('col-label')).toEqual(metrics.test.labels);
        const pct = await confusion.locator('text.pct').allTextContents();
        expect(pct).toHaveLength(n * n);
        for (let i = 0; i < n; i++) {
          const row = pct.slice(i * n, (i + 1) * n).map((p) => Number.parseFloat(p));
          expect(Math.abs(row.reduce((a, b) => a + b, 0) - 100), pct.join(' ')).toBeLessThan(0.5);
        }

        // As laid out by the browser: in every chart the legend is outside the plot area, and no
        // text of any SVG (titles included) reaches past the edge of its SVG.
        const layout = await page.evaluate(() => {
          const box = (e: Element) => {
            const r = e.getBoundingClientRect();
            return { left: r.left, top: r.top, right: r.right, bottom: r.bottom };
          };
          return Array.from(document.querySelectorAll('svg'), (svg) => ({
            svg: box(svg),
            plot: svg.querySelector('.plot-area') ? box(svg.querySelector('.plot-area') as Element) : null,
            legend: svg.querySelector('.legend') ? box(svg.querySelector('.legend') as Element) : null,
            texts: Array.from(svg.querySelectorAll('text'), (t) => ({
              text: t.textContent ?? '',
              ...box(t),
            })),
          }));
        });
        expect(layout).toHaveLength(5);
        for (const { svg, plot, legend, texts } of layout) {
          if (plot && legend) {
            const overlap =
              legend.left < plot.right &&
              plot.left < legend.right &&
              legend.top < plot.bottom &&
              plot.top < legend.bottom;
            expect(overlap, JSON.stringify({ plot, legend })).toBe(false);
          }
          for (const t of texts) {
            const inside =
              t.left >= svg.left - 0.5 &&
              t.right <= svg.right + 0.5 &&
              t.top >= svg.top - 0.5 &&
              t.bottom <= svg.bottom + 0.5;
            expect(inside, `"${t.text}" ${JSON.stringify(t)} outside ${JSON.stringify(svg)}`).toBe(true);
          }
        }
        expect(problems).toEqual([]);
        await mkdir(join(REPO, '.reports'), { recursive: true });
        await page.screenshot({ path: join(REPO, '.reports/report-html.png'), fullPage: true });
      } finally {
        await browser.close();
      }
    },
    60_000,
  );

  it.skipIf(!hasChromium)(
    'reloads itself while the run is going: a rewrite with one more epoch shows up, and the finished report stops reloading',
    async () => {
      // The report as the trainer rewrites it after every epoch (writeReport, atomically), of a
      // 4-epoch run: running after epoch 1, then after epoch 2, then finished.
      const config = parseTrainConfig({ epochs: 4 });
      const record = (epoch: number): EpochRecord => ({
        epoch,
        train_loss: 1 / epoch,
        valid_loss: 1.2 / epoch,
        valid_accuracy: 0.5 + epoch / 10,
        valid_macro_f1: 0.4 + epoch / 10,
        grad_norm: 0.8,
        lr: 1e-3,
        seconds: 1.5,
        tokens_per_s: 1000,
      });
      const steps = (epochs: number): StepRecord[] =>
        Array.from({ length: epochs * 4 }, (_, i) => ({
          step: i + 1,
          epoch: (i + 1) / 4,
          loss: 1 / (1 + i),
          loss_ema: 1 / (1 + i / 2),
          lr: 1e-3,
        }));
      const confusion = {
        matrix: [
          [2, 1],
          [0, 3],
        ],
        labels: ['a', 'b'],
        set: 'valid set',
        examples: 6,
      };
      const metrics: TrainMetrics = {
        best_epoch: 4,
        epochs_run: 4,
        test: {
          accuracy: 0.9,
          macro_f1: 0.9,
          loss: 0.3,
          confusion_matrix: confusion.matrix,
          labels: ['a', 'b'],
          examples: 6,
        },
        valid: { accuracy: 0.9, macro_f1: 0.9, loss: 0.3 },
        seconds: 6,
      };
      const path = join(await temp.make('seqlab-live-report-'), 'report.html');
      const write = (epochs: number, status: ReportStatus) =>
        writeReport(path, {
          config,
          history: Array.from({ length: epochs }, (_, i) => record(i + 1)),
          steps: steps(epochs),
          status,
          confusion,
        });
      await write(1, { state: 'running', epochsDone: 1 });

      const { chromium } = await import('playwright-core');
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox'],
      });
      try {
        const page = await browser.newPage();
        const problems: string[] = [];
        page.on('pageerror', (error) => problems.push(error.message));
        let loads = 0;
        page.on('load', () => loads++);
        await page.goto(pathToFileURL(path).href);
        const status = page.locator('#status');
        const rows = page.locator('table tr');
        expect(await status.textContent()).toBe(
          `running, epoch 1 of 4 done; this page reloads every ${REFRESH_SECONDS} s until the run ends.`,
        );
        expect(await rows.count()).toBe(1 + 1);

        // Epoch 2 ends: the trainer rewrites the file, and the open page shows it within a refresh.
        await write(2, { state: 'running', epochsDone: 2 });
        const timeout = (REFRESH_SECONDS + 10) * 1000;
        await expect.poll(() => status.textContent(), { timeout }).toMatch(/^running, epoch 2 of 4 done/);
        expect(await rows.count()).toBe(1 + 2);
        expect(await page.title()).toBe('seqlab run report (running, epoch 2 of 4)');

        // The run ends: the page shows the finished report, then stays as it is.
        await write(4, { state: 'finished', metrics });
        await expect.poll(() => status.textContent(), { timeout }).toBe('finished: 4 of 4 epochs.');
        expect(await rows.count()).toBe(1 + 4);
        const loadsWhenFinished = loads;
        await new Promise((done) => setTimeout(done, (REFRESH_SECONDS + 2) * 1000));
        expect(loads).toBe(loadsWhenFinished);
        expect(await page.locator('meta[http-equiv="refresh"]').count()).toBe(0);
        expect(problems).toEqual([]);
      } finally {
        await browser.close();
      }
    },
    60_000,
  );
});
