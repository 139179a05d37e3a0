import { defineConfig } from 'tsup';
import base from '../../tsup.config.base';

// The root config, for Node: the loader finds the addon next to the package (import.meta.url in
// ESM, __dirname in CJS, both provided by tsup's shims).
export default defineConfig({ ...(base as object), platform: 'node', shims: true });
