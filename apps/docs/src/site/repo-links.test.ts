import { describe, expect, it } from 'vitest';
import { REPO_BLOB, siteHref } from './repo-links';

const pages = new Set(['guides/gradients.md', 'guides/packing.md', 'index.md']);
const isPage = (path: string) => pages.has(path);

describe('siteHref', () => {
  it('keeps links to other pages of the site, with their anchors', () => {
    expect(siteHref('packing.md#measured', 'guides/gradients.md', isPage)).toBe('packing.md#measured');
    expect(siteHref('../index.md', 'guides/gradients.md', isPage)).toBe('../index.md');
  });

  it('points links to files the site does not serve at the repository', () => {
    expect(siteHref('../examples/simple-rnn.ts', 'guides/gradients.md', isPage)).toBe(
      `${REPO_BLOB}apps/docs/examples/simple-rnn.ts`,
    );
    expect(siteHref('../../trainer/src/commands/diagnose/README.md', 'guides/gradients.md', isPage)).toBe(
      `${REPO_BLOB}apps/trainer/src/commands/diagnose/README.md`,
    );
    expect(siteHref('../../../packages/layers/README.md#options', 'guides/x.md', isPage)).toBe(
      `${REPO_BLOB}packages/layers/README.md#options`,
    );
  });

  it('leaves absolute URLs, site paths, anchors and paths outside the repository alone', () => {
    for (const href of ['https://pytorch.org', '/api/', '#top', 'mailto:a@b.c', '../../../../x.md']) {
      expect(siteHref(href, 'guides/gradients.md', isPage)).toBe(href);
    }
  });
});
