let enabled = true;

/** Whether ops currently record the graph for autograd. */
export function isGradEnabled(): boolean {
  return enabled;
}

/**
 * Runs `fn` with gradient recording off (torch.no_grad): tensors it creates have no graph and
 * cost no memory for backward. Synchronous only: the flag is restored when `fn` returns or throws.
 *
 * @example
 * ```ts
 * const logits = noGrad(() => model.forward(x)); // inference
 * ```
 */
export function noGrad<T>(fn: () => T): T {
  const previous = enabled;
  enabled = false;
  try {
    return fn();
  } finally {
    enabled = previous;
  }
}

/** Runs `fn` with gradient recording on, even inside `noGrad` (torch.enable_grad). */
export function enableGrad<T>(fn: () => T): T {
  const previous = enabled;
  enabled = true;
  try {
    return fn();
  } finally {
    enabled = previous;
  }
}
