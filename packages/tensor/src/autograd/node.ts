import { inputs as held } from '../scope';
import type { Tensor } from '../tensor';

/** Gradients flowing into a node's outputs (null where no gradient reached that output). */
export type OutputGrads = readonly (Tensor | null)[];

/** Maps the gradients of a node's outputs to the gradients of its inputs (null: none). */
export type BackwardFn = (
  grads: OutputGrads,
  needsInputGrad: readonly boolean[],
) => readonly (Tensor | null)[];

/**
 * One recorded op in the autograd graph. Every output tensor of the op points to its node (and
 * its output index); the node points to its inputs. `op` names the op for diagnostics and errors.
 */
export class Node {
  /** Intermediate outputs whose gradient the user asked to keep (`retainGrad`), by output index. */
  retained: (Tensor | undefined)[] | null = null;
  /**
   * The backward returns, per input, either a tensor whose storage it just allocated or one that
   * shares storage with the gradients it was given (never a tensor kept elsewhere). The engine then
   * hands freshly allocated gradients on without copying them (ops of the gradient table, the
   * fused recurrence). Off for `recordOp`'s custom ops, whose backward may return anything.
   */
  freshGradients = false;
  /**
   * Frees what the node saved for its backward (the fused recurrence hands its saved activations
   * back to the storage pool). The engine calls it once the node's backward has run, unless the
   * backward was asked to `retainGraph`; a later backward through the node is then an error, as in
   * PyTorch. Null for nodes that save nothing worth freeing (their backward may run again).
   */
  release: (() => void) | null = null;
  /** Whether `release` has run: the saved state is gone. */
  released = false;
  /**
   * The last backward that ran this node's: 'freed' (no `retainGraph`: the graph through it is
   * spent, and `tidy` may hand back the storage of what it recorded, NOTE(tidy)), 'retained', or
   * null when none has.
   */
  backwardRan: 'freed' | 'retained' | null = null;

  constructor(
    readonly op: string,
    readonly inputs: readonly Tensor[],
    readonly numOutputs: number,
    readonly backward: BackwardFn,
  ) {
    // An explicit dispose leaves their storage alone: the backward may read it (NOTE(tidy-scope)).
    for (const t of inputs) held.add(t);
  }
}
