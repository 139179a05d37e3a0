/**
 * The guides are written to be read on GitHub too, so they link to files beside them with relative
 * paths (`../examples/simple-rnn.ts`, `../../trainer/README.md`). On the site, a link to another
 * page stays a page link; a link to anything else (source files, other folders' READMEs) points
 * to that file in the repository instead of a path the static site does not serve.
 */
import { posix } from 'node:path';

/** Where the repository's files are browsed (the packages' `repository` field). */
export const REPO_BLOB = 'https://github.com/seqlab/seqlab/blob/main/';

/** Where the docs app sits in the repository. */
export const DOCS_DIR = 'apps/docs';

/**
 * The href a link should have on the site. `page` is the linking page's path in the docs folder
 * (`guides/gradients.md`); `isPage` says whether a docs-relative path is one of the site's pages.
 * Absolute URLs, site-absolute paths and in-page anchors are left alone.
 */
export function siteHref(href: string, page: string, isPage: (docsPath: string) => boolean): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('/') || href.startsWith('#') || href === '') {
    return href;
  }
  const hash = href.indexOf('#');
  const path = hash === -1 ? href : href.slice(0, hash);
  const anchor = hash === -1 ? '' : href.slice(hash);
  const inRepo = posix.normalize(posix.join(DOCS_DIR, posix.dirname(page), path));
  if (inRepo.startsWith('../')) return href; // outside the repository: nothing to point at
  const docsPath = posix.relative(DOCS_DIR, inRepo);
  if (!docsPath.startsWith('..') && isPage(docsPath)) return href;
  return REPO_BLOB + inRepo + anchor;
}
