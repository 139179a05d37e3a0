import type { Storage } from './dtype';
import type { Tensor } from './tensor';

// NOTE(tidy-scope): what `tidy` (tidy.ts) learns while its function runs, kept tiny because the
// Tensor constructor and `takeStorage` feed it on every call: the tensors constructed and the pool
// storages handed out since the innermost scope began (one entry a hand-out: a storage listed twice
// was handed back and out again in between). Outside any scope `current` is null and
// the hooks cost one load and a branch. `viewed` holds the buffers a second tensor was made to
// share (reshape, a contiguous select/narrow, detach) and `inputs` the tensors an autograd node
// holds: an explicit `dispose` never hands their storage back (another tensor, or a backward, may
// still read it). `pooled` holds the storages `takeStorage` handed out: only those go back to the
// pool (a tensor may wrap an array its caller still owns).

/** @internal What one `tidy` call collects. */
export interface Scope {
  readonly tensors: Tensor[];
  readonly storages: Storage[];
}

/** @internal The innermost running `tidy`'s scope, or null. */
export let current: Scope | null = null;

/** @internal Makes `s` the innermost scope and returns the previous one. */
export function enterScope(s: Scope | null): Scope | null {
  const was = current;
  current = s;
  return was;
}

/** @internal Buffers shared by more than one tensor. */
export const viewed = new WeakSet<ArrayBufferLike>();
/** @internal Tensors some autograd node holds as inputs. */
export const inputs = new WeakSet<Tensor>();
/**
 * @internal Tensors no `tidy` disposes (`keep`): a cache made inside one call and read by the
 * next (a package's own cache marks its tensors here, without importing tidy).
 */
export const kept = new WeakSet<Tensor>();
/** @internal Storages `takeStorage` handed out. */
export const pooled = new WeakSet<Storage>();
