// Writes apps/trainer/config.schema.json from the zod schema: `pnpm config-schema` at the root.
// config-schema.test.ts fails when the committed file differs from what this writes.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configJsonSchema } from '../src/config-schema';

const path = fileURLToPath(new URL('../config.schema.json', import.meta.url));
writeFileSync(path, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
console.log(`wrote ${path}`);
