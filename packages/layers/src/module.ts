import {
  assertTensor,
  ConfigError,
  checkOptions,
  describeValue,
  formatShape,
  optionKeys,
  ShapeError,
  Tensor,
} from '@seqlab/tensor';

/** Options of `Module.loadStateDict`. */
export interface LoadStateDictOptions {
  /** Require exactly the module's keys (default true, as PyTorch): missing or extra keys throw. */
  strict?: boolean;
}
const LOAD_STATE_DICT_KEYS = /* @__PURE__ */ optionKeys<LoadStateDictOptions>({ strict: true });

/** What `loadStateDict` did not match (only non-empty when `strict: false`). */
export interface LoadStateDictResult {
  /** The module's parameter and buffer names the state dict did not have (left unchanged). */
  missingKeys: string[];
  /** The state dict's keys the module has no parameter or buffer for (ignored). */
  unexpectedKeys: string[];
}

/**
 * Base class of every layer and model (torch.nn.Module): parameters and submodules, train/eval
 * mode, and state dicts keyed exactly as PyTorch's (`embedding.weight`, `lstm.weight_ih_l0_reverse`,
 * `fc.bias`), so weights move between seqlab and PyTorch through safetensors.
 *
 * Submodules and parameters assigned as properties are found automatically, as PyTorch's
 * `Module.__setattr__` registers attributes, and the property name is the state-dict key:
 *
 * @example
 * ```ts
 * class SentimentLSTM extends Module {
 *   embedding = new Embedding(10000, 128, { paddingIdx: 0 });
 *   lstm = new LSTM({ inputSize: 128, hiddenSize: 256, numLayers: 2, bidirectional: true, batchFirst: true, dropout: 0.3 });
 *   fc = new Linear(512, 2);
 *   forward(ids: Tensor): Tensor {
 *     const { output } = this.lstm.forward(this.embedding.forward(ids));
 *     return this.fc.forward(output.select(1, -1));
 *   }
 * }
 * // stateDict keys: embedding.weight, lstm.weight_ih_l0, …, fc.weight, fc.bias
 * ```
 *
 * What a property contributes (own enumerable properties, read whenever the module tree is queried:
 * `parameters()`, `namedModules()`, `stateDict()`, `train()`, `summary(model)`, …):
 * - a `Module`: a submodule under the property name;
 * - a `Tensor` that is a leaf with `requiresGrad` (torch.nn.Parameter): a parameter. Once found it
 *   stays one after `requiresGrad = false` (freezing). Other tensors (inputs, cached outputs, masks)
 *   are not parameters, as a plain tensor attribute is not one in PyTorch;
 * - an Array: its elements as `name.0`, `name.1`, … (PyTorch's ModuleList / ParameterList keys);
 * - a Map or a plain object: its entries as `name.key` (PyTorch's ModuleDict / ParameterDict keys);
 *   nested containers nest the same way. Other objects (class instances, typed arrays) are not
 *   looked into.
 *
 * Order: a module's registered parameters and submodules first, in registration order, then the
 * ones found in properties, in property order (class fields in declaration order, then constructor
 * assignments). A value that is also registered on the same module (`fc = this.registerModule('fc',
 * …)`, or `this.weightIh = this.registerParameter('weight_ih', …)`) appears once, under its
 * registered name. Each module and each parameter appears once in the tree, at the first name met
 * (PyTorch's `named_modules`/`named_parameters` memo), so a shared submodule is listed once and a
 * child holding its parent (`this.parent = parent`) makes no cycle. A property whose name is
 * registered for a different value is a `ConfigError`.
 *
 * Porting note: PyTorch's `state_dict()` lists a shared (tied) parameter under every name; here it
 * appears once, under its first name, as in `named_parameters()`. Load a PyTorch state dict with
 * tied weights with `{ strict: false }`. `registerModule`/`registerParameter` remain for names
 * that are not identifiers (`W_xh`) and for explicit ordering.
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
    if (module === (this as Module)) {
      throw new ConfigError(
        `${this.constructor.name}.registerModule`,
        'a module other than itself',
        `'${name}' = this`,
      );
    }
    this.#modules.set(name, module);
    return module;
  }

  /** Direct submodules with their names: registered ones, then ones found in properties. */
  *namedChildren(): IterableIterator<[string, Module]> {
    const memo = new Set<Module>();
    for (const [name, m] of this.#children()) {
      if (memo.has(m)) continue;
      memo.add(m);
      yield [name, m];
    }
  }

  /** This module and every submodule once, depth first, with dotted names ('' for this one). */
  *namedModules(prefix = ''): IterableIterator<[string, Module]> {
    for (const [path, m] of this.#walk(prefix, new Set())) yield [path, m];
  }

  /** Every parameter once, with its dotted PyTorch name (this module's first, then each submodule's). */
  *namedParameters(prefix = ''): IterableIterator<[string, Tensor]> {
    const memo = new Set<Tensor>();
    for (const [path, m, found] of this.#walk(prefix, new Set())) {
      for (const [name, p] of m.#parameters) {
        if (!p || memo.has(p)) continue;
        memo.add(p);
        yield [path ? `${path}.${name}` : name, p];
      }
      for (const [name, p] of found.parameters) {
        if (memo.has(p)) continue;
        memo.add(p);
        yield [path ? `${path}.${name}` : name, p];
      }
    }
  }

  /** Pre-order walk: each module once, with what its properties hold (found once per query). */
  *#walk(prefix: string, memo: Set<Module>): IterableIterator<[string, Module, Found]> {
    if (memo.has(this)) return;
    memo.add(this);
    const found = this.#discover();
    yield [prefix, this, found];
    for (const [name, m] of this.#modules) yield* m.#walk(prefix ? `${prefix}.${name}` : name, memo);
    for (const [name, m] of found.modules) yield* m.#walk(prefix ? `${prefix}.${name}` : name, memo);
  }

  #children(): [string, Module][] {
    return [...this.#modules, ...this.#discover().modules];
  }

  /** Submodules and parameters held in own enumerable properties and not registered here. */
  #discover(): Found {
    let registered: Set<unknown> | null = null;
    const found: Found = { parameters: [], modules: [] };
    const record = this as unknown as Record<string, unknown>;
    const containers = new Set<object>();
    for (const key of Object.keys(this)) {
      const value = record[key];
      if (typeof value !== 'object' || value === null) continue; // numbers, flags, functions, null
      registered ??= new Set<unknown>([...this.#parameters.values(), ...this.#modules.values()]);
      if (this.#parameters.has(key) || this.#modules.has(key)) {
        const own = this.#parameters.has(key) ? this.#parameters.get(key) : this.#modules.get(key);
        if (value === own) continue;
        const clash: Found = { parameters: [], modules: [] };
        collect(this, key, value, registered, clash, new Set());
        if (clash.parameters.length > 0 || clash.modules.length > 0) {
          throw new ConfigError(
            `${this.constructor.name}`,
            `property '${key}' to hold what is registered as '${key}'`,
            `${describeValue(value)} (registered: ${describeValue(own)})`,
            'Rename the property or the registered name',
          );
        }
        continue;
      }
      if (key === '' || key.includes('.')) {
        const skipped: Found = { parameters: [], modules: [] };
        collect(this, key, value, registered, skipped, new Set());
        if (skipped.parameters.length > 0 || skipped.modules.length > 0) {
          throw new ConfigError(this.constructor.name, 'a property name without dots', `'${key}'`);
        }
        continue;
      }
      collect(this, key, value, registered, found, containers);
    }
    return found;
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

  /** Clears every parameter's gradient. */
  zeroGrad(): void {
    for (const p of this.parameters()) p._dropGrad();
  }

  /**
   * The parameters by dotted PyTorch name. The tensors share storage with the parameters (as
   * PyTorch's state_dict does); clone them to snapshot (e.g. the best epoch's weights).
   */
  stateDict(): Map<string, Tensor> {
    return new Map(Array.from(this.namedParameters(), ([name, p]) => [name, p.detach()]));
  }

  /**
   * Copies values into the parameters, matched by name, from a `Map` (what `stateDict()` returns,
   * or `EarlyStopping`'s `bestState`) or a plain object of Tensors. Shapes must match exactly; with
   * `strict` (default) the keys must match exactly too. Values are copied in place, so an optimizer
   * built on `parameters()` keeps working.
   */
  loadStateDict(
    dict: ReadonlyMap<string, unknown> | Readonly<Record<string, unknown>>,
    options: LoadStateDictOptions = {},
  ): LoadStateDictResult {
    const op = `${this.constructor.name}.loadStateDict`;
    if (typeof dict !== 'object' || dict === null) {
      throw new ConfigError(op, 'a state dict (a Map or an object of Tensors)', describeValue(dict));
    }
    const entries: ReadonlyMap<string, unknown> = dict instanceof Map ? dict : new Map(Object.entries(dict));
    checkOptions(op, options, LOAD_STATE_DICT_KEYS);
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
      assertTensor(op, value, `'${name}'`);
      if (value.shape.length !== p.shape.length || value.shape.some((s, i) => s !== p.shape[i])) {
        throw new ShapeError(op, `${name} of shape ${formatShape(p.shape)}`, formatShape(value.shape));
      }
      p.data.set(value.data);
    }
    return { missingKeys, unexpectedKeys };
  }
}

/** What `#discover` finds in a module's properties. */
interface Found {
  parameters: [string, Tensor][];
  modules: [string, Module][];
}

/** Tensors found as parameters once: they stay parameters when frozen (`requiresGrad = false`). */
const foundParameters = new WeakSet<Tensor>();

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Adds what `value` (held at `name`) contributes to `found`: see Module's doc comment. */
function collect(
  owner: Module,
  name: string,
  value: unknown,
  registered: Set<unknown>,
  found: Found,
  containers: Set<object>,
): void {
  if (value instanceof Module) {
    if (value !== owner && !registered.has(value)) found.modules.push([name, value]);
  } else if (value instanceof Tensor) {
    if (registered.has(value)) return;
    if (foundParameters.has(value) || (value.isLeaf && value.requiresGrad)) {
      foundParameters.add(value);
      found.parameters.push([name, value]);
    }
  } else if (typeof value === 'object' && value !== null && !containers.has(value)) {
    containers.add(value);
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++)
        collect(owner, `${name}.${i}`, value[i], registered, found, containers);
    } else if (value instanceof Map) {
      for (const [k, v] of value) collect(owner, childKey(owner, name, k), v, registered, found, containers);
    } else if (isPlainObject(value)) {
      for (const [k, v] of Object.entries(value))
        collect(owner, childKey(owner, name, k), v, registered, found, containers);
    }
  }
}

/** `name.key` for an entry of a Map or plain object; the key must be a non-empty, dot-free name. */
function childKey(owner: Module, name: string, key: unknown): string {
  const k = String(key);
  if (k === '' || k.includes('.')) {
    throw new ConfigError(
      owner.constructor.name,
      `keys in '${name}' that are non-empty and dot-free`,
      `'${k}'`,
    );
  }
  return `${name}.${k}`;
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
