// The API reference: every public entry of the five packages (each `exports` subpath's
// `@seqlab/source` file), rendered to markdown pages under api/ for VitePress. `pnpm docs:build`
// runs it before the site build, so the reference is regenerated from the TSDoc every time.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const PACKAGES = ['tensor', 'layers', 'optim', 'data', 'metrics'];

/** Each public entry file with the name a user imports it by (`@seqlab/tensor/testing`). */
export const publicEntries = PACKAGES.flatMap((dir) => {
  const root = new URL(`../../packages/${dir}/`, import.meta.url);
  const manifest = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
  return Object.entries(manifest.exports)
    .filter(([, target]) => typeof target === 'object' && target['@seqlab/source'])
    .map(([subpath, target]) => ({
      name: manifest.name + subpath.slice(1),
      file: fileURLToPath(new URL(target['@seqlab/source'], root)),
    }));
});

/** @type {Partial<import('typedoc').TypeDocOptions & import('typedoc-plugin-markdown').PluginOptions>} */
export default {
  entryPoints: publicEntries.map((entry) => entry.file),
  tsconfig: './tsconfig.typedoc.json',
  plugin: ['typedoc-plugin-markdown', 'typedoc-vitepress-theme', './typedoc-public-names.mjs'],
  out: './api',
  docsRoot: '.',
  readme: 'none',
  entryFileName: 'index',
  outputFileStrategy: 'modules',
  disableSources: true,
  excludePrivate: true,
  excludeInternal: true,
  // Any warning fails the build: a {@link} that does not resolve, a type the reference uses but no
  // entry exports, an export or member (method, property, field of an options or result type)
  // without TSDoc. `pnpm --filter @seqlab/docs docs:check` runs this validation alone.
  validation: {
    notExported: true,
    invalidLink: true,
    rewrittenLink: true,
    notDocumented: true,
    unusedMergeModuleWith: true,
  },
  treatWarningsAsErrors: true,
  treatValidationWarningsAsErrors: true,
  packagesRequiringDocumentation: PACKAGES.map((dir) => `@seqlab/${dir}`),
  hidePageHeader: true,
  hideBreadcrumbs: true,
  useCodeBlocks: true,
  // Explicit <a id> anchors: the links typedoc writes (`#nlllossoptions-1`, `#recurrent_gates`) do not
  // depend on how VitePress slugs headings.
  useHTMLAnchors: true,
};
