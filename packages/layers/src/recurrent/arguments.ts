import { ConfigError, checkOptions, describeValue } from '@seqlab/tensor';

/**
 * The constructor arguments of the recurrent layers and cells, in either form:
 *
 * - seqlab's options object: `new LSTM({ inputSize: 10, hiddenSize: 20, numLayers: 2 })`;
 * - PyTorch's positional sizes: `new LSTM(10, 20)` or `new LSTM(10, 20, { numLayers: 2 })`, as
 *   `nn.LSTM(10, 20, num_layers=2)`.
 *
 * Both give the same module. PyTorch's further positional arguments (`nn.LSTM(10, 20, 2)`) are
 * refused with the options form as the hint, as is a size given twice. Unknown option keys throw
 * (see `checkOptions`).
 */
export function sizedOptions<O extends { inputSize: number; hiddenSize: number }>(
  name: string,
  known: readonly string[],
  first: unknown,
  hiddenSize: unknown,
  rest: unknown,
): O {
  const others = known.filter((k) => k !== 'inputSize' && k !== 'hiddenSize');
  const forms = `new ${name}({ inputSize, hiddenSize, ... }) or new ${name}(inputSize, hiddenSize, { ... })`;
  if (typeof first === 'number') {
    if (rest !== undefined && (typeof rest !== 'object' || rest === null || Array.isArray(rest))) {
      throw new ConfigError(
        name,
        `an options object { ${others.join(', ')} } after the sizes`,
        describeValue(rest),
        `PyTorch's further positional arguments are options here: new ${name}(${first}, ${String(hiddenSize)}, { ${others[0]}: … })`,
      );
    }
    checkOptions(name, rest, others.concat('inputSize', 'hiddenSize'));
    for (const key of ['inputSize', 'hiddenSize']) {
      if (rest !== undefined && Object.hasOwn(rest as object, key)) {
        throw new ConfigError(
          name,
          `${key} given once`,
          `a positional ${key} and an option ${key}`,
          `Use ${forms}`,
        );
      }
    }
    return { ...(rest as object), inputSize: first, hiddenSize } as O;
  }
  if (typeof first !== 'object' || first === null || Array.isArray(first)) {
    throw new ConfigError(name, `${forms}`, first === undefined ? 'no arguments' : describeValue(first));
  }
  if (hiddenSize !== undefined || rest !== undefined) {
    throw new ConfigError(name, forms, 'an options object followed by more arguments');
  }
  checkOptions(name, first, known);
  return first as O;
}
