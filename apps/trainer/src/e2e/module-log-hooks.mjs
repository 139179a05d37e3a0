// The resolve hook of module-log.mjs (it runs on the loader's thread): logs each resolved file URL.
import { appendFileSync } from 'node:fs';

let out = '';

export function initialize(data) {
  out = data.out;
}

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  if (result.url.startsWith('file:')) appendFileSync(out, `${result.url}\n`);
  return result;
}
