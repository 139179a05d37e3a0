// The main entry as a page bundles it (esbuild, browser platform, from the sources): no Node.js
// built-in reachable, and zod's small `zod/mini` build only. zod's full API (`import { z } from
// 'zod'`) brings its every locale along, about 450 KB minified; the schemas here use `zod/mini`
// and parse with the English messages alone (about 28 KB).
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

describe('the browser bundle of @seqlab/classifier', () => {
  it('has no Node.js built-in and no zod classic API', async () => {
    const result = await build({
      entryPoints: [new URL('./index.ts', import.meta.url).pathname],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      minify: true,
      write: false,
      metafile: true,
      logLevel: 'silent',
      conditions: ['@seqlab/source', 'browser', 'import', 'default'],
    });
    expect(Object.keys(result.metafile.inputs).filter((path) => path.startsWith('node:'))).toEqual([]);
    // The files that put code in the bundle (the others were read and shaken out).
    const used = Object.entries(Object.values(result.metafile.outputs)[0].inputs).filter(
      ([, input]) => input.bytesInOutput > 0,
    );
    expect(
      used.map(([path]) => path).filter((path) => /zod\/v4\/(classic|locales\/(?!en\.))/.test(path)),
    ).toEqual([]);
    const zodBytes = used
      .filter(([path]) => path.includes('/zod/'))
      .reduce((n, [, input]) => n + input.bytesInOutput, 0);
    const bytes = result.outputFiles[0].contents;
    console.log(
      `@seqlab/classifier browser bundle: ${bytes.length} bytes minified, ${gzipSync(bytes).length} gzip; zod ${zodBytes}`,
    );
    expect(zodBytes).toBeGreaterThan(0);
    expect(zodBytes).toBeLessThan(60_000);
  });
});
