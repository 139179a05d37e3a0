// `node --import ./module-log.mjs …`: appends the file URL of every module the process loads, one
// a line, to the file named by SEQLAB_MODULE_LOG. ES modules (and CommonJS files that an `import`
// reaches) through a resolve hook, CommonJS files through require's cache at exit. startup.test.ts
// reads it to see what the CLI's start-up loads.
import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';
import { pathToFileURL } from 'node:url';

const out = process.env.SEQLAB_MODULE_LOG;
if (!out) throw new Error('module-log.mjs: set SEQLAB_MODULE_LOG to the file to write');
register(new URL('./module-log-hooks.mjs', import.meta.url), { data: { out } });
process.on('exit', () => {
  const files = Object.keys(Module._cache).map((file) => pathToFileURL(file).href);
  appendFileSync(out, files.map((url) => `${url}\n`).join(''));
});
