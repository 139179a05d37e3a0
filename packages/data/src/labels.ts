import { ConfigError, FormatError, formatValue } from '@seqlab/tensor';

/**
 * How raw label values become class ids:
 * - `'build'`: ids in order of first appearance (`'neg'` seen first → 0). Deterministic for a fixed
 *   file, but a file whose first row is positive gives positive id 0: give the names when they are known.
 * - `'integer'`: the label is already a class id (`0`, `1`, `"2"`); anything else is unknown.
 * - a list of names: id = position (`['neg', 'pos']`); other labels are unknown.
 * - a record name → id (`{ negative: 0, positive: 1, pos: 1 }`); other labels are unknown.
 */
export type LabelSpec = 'build' | 'integer' | readonly string[] | Readonly<Record<string, number>>;

/** The largest class id a map accepts (int32, the dtype of class targets). */
const MAX_CLASS_ID = 2 ** 31 - 1;

/** The JSON form of a `LabelMap`. */
export interface LabelMapJSON {
  /** Format tag. */
  type: 'seqlab.LabelMap';
  /** Format version. */
  version: 1;
  /** Ids looked up by name, or integer labels passed through. */
  mode: 'names' | 'integer';
  /** name → id (mode `names`). */
  ids: Record<string, number>;
}

/**
 * Maps raw label values (strings, or numbers and booleans from JSON, compared as `String(value)`)
 * to class ids, per a `LabelSpec`. A built map grows as new labels appear and keeps its ids for later
 * reads, so the train and valid files of one dataset share one map when they share the object.
 *
 * @example
 * ```ts
 * const labels = new LabelMap(['neg', 'pos']);
 * labels.encode('pos');   // 1
 * labels.encode('meh');   // undefined (unknown)
 * const built = new LabelMap('build');
 * built.encode('spam');   // 0
 * built.names;            // ['spam']
 * ```
 */
export class LabelMap {
  /** `'integer'` passes ids through; `'names'` looks them up. */
  readonly mode: 'names' | 'integer';
  /** Whether unseen labels get new ids. */
  readonly growing: boolean;
  #ids = new Map<string, number>();
  #maxId = -1;

  constructor(spec: LabelSpec = 'build') {
    const op = 'LabelMap';
    this.mode = spec === 'integer' ? 'integer' : 'names';
    this.growing = spec === 'build';
    if (spec === 'build' || spec === 'integer') return;
    if (Array.isArray(spec)) {
      for (const [i, name] of (spec as readonly unknown[]).entries()) {
        if (typeof name !== 'string' || this.#ids.has(name)) {
          throw new ConfigError(op, 'distinct label names', `${formatValue(name)} at position ${i}`);
        }
        this.#add(name, i);
      }
      return;
    }
    if (typeof spec !== 'object' || spec === null) {
      throw new ConfigError(
        op,
        "'build', 'integer', a list of names or a name → id record",
        formatValue(spec),
      );
    }
    for (const [name, id] of Object.entries(spec as Record<string, unknown>)) {
      // Class ids index int32 target tensors and the rows of a confusion matrix.
      if (!Number.isInteger(id) || (id as number) < 0 || (id as number) > MAX_CLASS_ID) {
        throw new ConfigError(
          op,
          `integer ids in [0, ${MAX_CLASS_ID}]`,
          `${formatValue(name)}: ${formatValue(id)}`,
        );
      }
      this.#add(name, id as number);
    }
  }

  /** Rebuilds a map from `toJSON()` output (a fixed map; it no longer grows). */
  static fromJSON(json: unknown): LabelMap {
    const o = json as Partial<LabelMapJSON> | null;
    if (
      typeof o !== 'object' ||
      o === null ||
      o.type !== 'seqlab.LabelMap' ||
      o.version !== 1 ||
      (o.mode !== 'names' && o.mode !== 'integer') ||
      typeof o.ids !== 'object' ||
      o.ids === null
    ) {
      throw new FormatError(
        'LabelMap.fromJSON',
        'a LabelMap JSON object (type "seqlab.LabelMap", version 1)',
        formatValue(json),
      );
    }
    let map: LabelMap;
    try {
      map = o.mode === 'integer' ? new LabelMap('integer') : new LabelMap(o.ids);
    } catch (err) {
      if (err instanceof ConfigError) throw new FormatError('LabelMap.fromJSON', err.expected, err.actual);
      throw err;
    }
    // A map's JSON names every class (toJSON of a built map or a list does): a gap would make a
    // class named by its id, and one id of 2^31 − 1 a map of 2^31 classes from a few bytes.
    const used = new Set(map.#ids.values());
    if (used.size < map.size) {
      let missing = 0;
      while (used.has(missing)) missing++;
      throw new FormatError(
        'LabelMap.fromJSON',
        'ids 0 to N − 1 each given to a label',
        `no label for id ${missing} (ids up to ${map.#maxId})`,
      );
    }
    return map;
  }

  /** The class id of a raw label, or undefined when it is unknown (a built map never says unknown). */
  encode(raw: string | number | boolean): number | undefined {
    const key = String(raw);
    if (this.mode === 'integer') {
      if (!/^(0|[1-9][0-9]*)$/.test(key) || !Number.isSafeInteger(Number(key))) return undefined;
      const id = Number(key);
      if (id > this.#maxId) this.#maxId = id;
      return id;
    }
    const id = this.#ids.get(key);
    if (id !== undefined || !this.growing) return id;
    const next = this.#maxId + 1;
    this.#add(key, next);
    return next;
  }

  /** Number of classes: the largest id seen or given, plus one. */
  get size(): number {
    return this.#maxId + 1;
  }

  /** The name of each id (the first name given for it); integer maps give `'0'`, `'1'`, …. */
  get names(): string[] {
    const names: string[] = Array.from({ length: this.size }, (_, i) => String(i));
    if (this.mode === 'integer') return names;
    const named = new Set<number>();
    for (const [name, id] of this.#ids) {
      if (!named.has(id)) names[id] = name;
      named.add(id);
    }
    return names;
  }

  /** The known label names, for error messages. */
  describe(): string {
    if (this.mode === 'integer') return 'a non-negative integer';
    if (this.growing) return 'any label';
    const names = [...this.#ids.keys()];
    const shown = names.slice(0, 20).map((k) => formatValue(k, 40));
    return `one of ${shown.join(', ')}${names.length > 20 ? `, … (${names.length} in all)` : ''}`;
  }

  /** A JSON-safe description; `LabelMap.fromJSON` reads it back. */
  toJSON(): LabelMapJSON {
    return { type: 'seqlab.LabelMap', version: 1, mode: this.mode, ids: Object.fromEntries(this.#ids) };
  }

  #add(name: string, id: number): void {
    this.#ids.set(name, id);
    if (id > this.#maxId) this.#maxId = id;
  }
}
