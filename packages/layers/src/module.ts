import { ConfigError, checkOptions, formatShape, optionKeys, ShapeError, type Tensor } from '@seqlab/tensor';
import { formatSummary, summarize } from './summary';

/** Options of `Module.loadStateDict`. */
export interface LoadStateDictOptions {
  /** Require exactly the module's keys (default true, as PyTorch): missing or extra keys throw. */
  strict?: boolean;
}
const LOAD_STATE_DICT_KEYS = optionKeys<LoadStateDictOptions>({ strict: true });

/** What `loadStateDict` did not match (only non-empty when `strict: false`). */
export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/**
 * Base class of every layer and model (torch.nn.Module): registered parameters and submodules,
 * train/eval mode, and state dicts keyed exactly as PyTorch's (`embedding.weight`,
 * `lstm.weight_ih_l0_reverse`, `fc.bias`), so weights move between seqlab and PyTorch through
 * safetensors.
 *
 * Porting note: PyTorch registers parameters by attribute assignment; here a subclass registers
 * them explicitly, under the attribute name PyTorch would use:
 *
 * @example
 * ```ts
 * class SentimentLSTM extends Module {
 *   embedding = this.registerModule('embedding', new Embedding(10000, 128, { paddingIdx: 0 }));
 *   lstm = this.registerModule('lstm', new LSTM({ inputSize: 128, hiddenSize: 256, numLayers: 2, bidirectional: true, batchFirst: true, dropout: 0.3 }));
 *   fc = this.registerModule('fc', new Linear(512, 2));
 *   forward(ids: Tensor): Tensor {
 *     const { output } = this.lstm.forward(this.embedding.forward(ids));
 *     return this.fc.forward(output.select(1, -1));
 *   }
 * }
 * ```
 */
export class Module {
  /** True in training mode (dropout active), false after `eval()`. */
  training = true;
  #parameters = new Map<string, Tensor | null>();
  #modules = new Map<string, Module>();

  /** Registers `param` (a leaf that requires grad, or null for an absent optional one) as `name`. */
  registerParameter<T extends Tensor | null>(name: string, param: T): T {
    checkName(`${this.constructor.name}.registerParameter`, name, this.#parameters, this.#modules);
    if (param && !param.requiresGrad) param.requiresGrad = true;
    this.#parameters.set(name, param);
    return param;
  }

  /** Registers a submodule as `name`; its parameters appear as `name.<param>`. */
  registerModule<M extends Module>(name: string, module: M): M {
    checkName(`${this.constructor.name}.registerModule`, name, this.#parameters, this.#modules);
    this.#modules.set(name, module);
    return module;
  }

  /** Direct submodules with their names, in registration order. */
  *namedChildren(): IterableIterator<[string, Module]> {
    yield* this.#modules;
  }

  /** This module and every submodule, depth first, with dotted names ('' for this one). */
  *namedModules(prefix = ''): IterableIterator<[string, Module]> {
    yield [prefix, this];
    for (const [name, m] of this.#modules) yield* m.namedModules(prefix ? `${prefix}.${name}` : name);
  }

  /** Every parameter with its dotted PyTorch name, in registration order. */
  *namedParameters(prefix = ''): IterableIterator<[string, Tensor]> {
    for (const [name, p] of this.#parameters) if (p) yield [prefix ? `${prefix}.${name}` : name, p];
    for (const [name, m] of this.#modules) yield* m.namedParameters(prefix ? `${prefix}.${name}` : name);
  }

  /** Every parameter (what an optimizer takes). */
  parameters(): Tensor[] {
    return Array.from(this.namedParameters(), ([, p]) => p);
  }

  /** Number of parameter values (trainable ones only with `trainableOnly`). */
  numParameters(trainableOnly = false): number {
    let n = 0;
    for (const p of this.parameters()) if (!trainableOnly || p.requiresGrad) n += p.numel;
    return n;
  }

  /** Sets training mode on this module and every submodule (dropout active when true). */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  /** Evaluation mode: `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  /**
   * A table of the model's layers (name and class), each one's output shape when sample inputs are
   * given (the model runs once without gradients), and its parameter count, with the totals.
   *
   * @example
   * ```ts
   * console.log(model.summary(tensor([[4, 9, 1]], { dtype: 'int32' })));
   * ```
   */
  summary(...inputs: unknown[]): string {
    return formatSummary(summarize(this, ...inputs), this);
  }

  /** Clears every parameter's gradient. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /**
   * The parameters by dotted PyTorch name. The tensors share storage with the parameters (as
   * PyTorch's state_dict does); clone them to snapshot (e.g. the best epoch's weights).
   */
  stateDict(): Map<string, Tensor> {
    return new Map(Array.from(this.namedParameters(), ([name, p]) => [name, p.detach()]));
  }

  /**
   * Copies values into the parameters, matched by name. Shapes must match exactly; with `strict`
   * (default) the keys must match exactly too. Values are copied in place, so an optimizer built
   * on `parameters()` keeps working.
   */
  loadStateDict(
    dict: Map<string, Tensor> | Record<string, Tensor>,
    options: LoadStateDictOptions = {},
  ): LoadStateDictResult {
    const op = `${this.constructor.name}.loadStateDict`;
    checkOptions(op, options, LOAD_STATE_DICT_KEYS);
    const entries = dict instanceof Map ? dict : new Map(Object.entries(dict));
    const own = new Map(this.namedParameters());
    const missingKeys = [...own.keys()].filter((k) => !entries.has(k));
    const unexpectedKeys = [...entries.keys()].filter((k) => !own.has(k));
    if ((options.strict ?? true) && (missingKeys.length > 0 || unexpectedKeys.length > 0)) {
      throw new ConfigError(
        op,
        'exactly the module’s keys (strict)',
        [
          missingKeys.length ? `missing ${missingKeys.join(', ')}` : '',
          unexpectedKeys.length ? `unexpected ${unexpectedKeys.join(', ')}` : '',
        ]
          .filter(Boolean)
          .join('; '),
        'Pass { strict: false } to load a subset',
      );
    }
    for (const [name, value] of entries) {
      const p = own.get(name);
      if (!p) continue;
      if (value.shape.length !== p.shape.length || value.shape.some((s, i) => s !== p.shape[i])) {
        throw new ShapeError(op, `${name} of shape ${formatShape(p.shape)}`, formatShape(value.shape));
      }
      p.data.set(value.data);
    }
    return { missingKeys, unexpectedKeys };
  }
}

function checkName(
  op: string,
  name: string,
  params: Map<string, unknown>,
  modules: Map<string, unknown>,
): void {
  if (!name || name.includes('.')) throw new ConfigError(op, 'a non-empty name without dots', `'${name}'`);
  if (params.has(name) || modules.has(name))
    throw new ConfigError(op, 'a name not registered yet', `'${name}'`);
}
