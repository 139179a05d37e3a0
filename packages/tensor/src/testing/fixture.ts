import { readFileSync } from 'node:fs';
// Through the package entry so the built `testing` bundle shares classes with it.
import { loadSafetensors, type Tensor } from '@seqlab/tensor';

/** A golden fixture: named tensors and the generator's metadata. */
export interface Fixture {
  /** The tensor stored under `name`; throws naming the fixture when it is missing. */
  get(name: string): Tensor;
  /** Whether the fixture has a tensor named `name`. */
  has(name: string): boolean;
  /** A metadata entry parsed as JSON (generators store case lists this way). */
  json<T>(key: string): T;
  /** The raw string metadata. */
  readonly metadata: Record<string, string>;
  /** Every tensor, by name. */
  readonly tensors: Map<string, Tensor>;
  /**
   * Copies of the tensors named `<prefix>/…`, keyed by the rest of the name: a case's state dict is
   * `fx.group('case1/param')`. Copies, so a test that trains on them never changes the fixture.
   * Empty when there are none (a module without parameters has an empty state dict).
   */
  group(prefix: string): Map<string, Tensor>;
}

/**
 * Loads a golden fixture written by a generator in tools/fixtures (a safetensors file). Node only.
 *
 * @example
 * ```ts
 * const fx = loadFixture(new URL('../../fixtures/lstm/basic.safetensors', import.meta.url));
 * expectClose(out, fx.get('case1/out'));
 * ```
 */
export function loadFixture(path: string | URL): Fixture {
  const { tensors, metadata } = loadSafetensors(new Uint8Array(readFileSync(path)));
  return {
    tensors,
    metadata,
    has: (name) => tensors.has(name),
    get(name) {
      const t = tensors.get(name);
      if (!t) throw new Error(`loadFixture: expected a tensor named '${name}' in ${String(path)}, got none`);
      return t;
    },
    group(prefix) {
      const head = `${prefix}/`;
      const out = new Map<string, Tensor>();
      for (const [key, t] of tensors) if (key.startsWith(head)) out.set(key.slice(head.length), t.clone());
      return out;
    },
    json<T>(key: string): T {
      const raw = metadata[key];
      if (raw === undefined)
        throw new Error(`loadFixture: expected metadata key '${key}' in ${String(path)}, got none`);
      return JSON.parse(raw) as T;
    },
  };
}
