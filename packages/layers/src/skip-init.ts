import { Generator, setDefaultGenerator } from '@seqlab/tensor';

/**
 * Draws nothing: the fills leave the (zero-filled) arrays as they are. Installed as the default
 * generator while `skipInit` builds a module.
 */
class NoInitGenerator extends Generator {
  override fillUniform(): void {}
  override fillNormal(): void {}
}

/**
 * Builds a module without initialising its parameters (torch.nn.utils.skip_init): for a module
 * whose weights are loaded right after, so no time goes into random numbers that `loadStateDict`
 * overwrites, and the global generator is not advanced (the next random op draws what it would
 * have drawn without the load).
 *
 * Porting note: PyTorch builds on the meta device and then allocates uninitialised memory; here the
 * parameters are zeros (typed arrays start zeroed), with the deterministic parts of init kept (an
 * Embedding's padding row is zero, an LSTM's `forgetBias` is added). `build` runs synchronously with
 * every init draw of the default generator skipped; a draw with an explicit `generator` still happens.
 *
 * @example
 * ```ts
 * const lstm = skipInit(() => new LSTM({ inputSize: 64, hiddenSize: 128 }));
 * lstm.loadStateDict((await loadSafetensorsFile('lstm.safetensors')).tensors);
 * ```
 */
export function skipInit<M>(build: () => M): M {
  const previous = setDefaultGenerator(new NoInitGenerator());
  try {
    return build();
  } finally {
    setDefaultGenerator(previous);
  }
}
