import { ConfigError } from '@seqlab/tensor';
import { z } from 'zod';
import { ADDING_DEFAULTS } from './long-range';
import { PACKED_WORKLOAD_NAMES, PACKED_WORKLOADS, type PackedWorkloadName } from './packed';
import { WORKLOAD_NAMES, type WorkloadName } from './workloads';

/** A comma-separated flag (`10,50,100`) as an array of `item`; arrays pass through (calls from code). */
function commaList<T extends z.ZodType>(item: T) {
  return z.preprocess(
    (v) =>
      typeof v === 'string' || typeof v === 'number'
        ? String(v)
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== '')
        : v,
    z.array(item).min(1),
  );
}

/** Keeps the first occurrence of each value, in order. */
const unique = <T>(values: readonly T[]): T[] => [...new Set(values)];

const int = (min: number, max: number) => z.number().int().min(min).max(max);

/** `seqlab bench long-range` flags, with adding_problem.py's defaults (the lengths and models are the issue's). */
export const LongRangeFlagsSchema = z
  .object({
    lengths: commaList(z.coerce.number().int().min(2).max(100_000))
      .default([10, 50, 100, 200])
      .transform(unique),
    models: commaList(z.enum(['rnn', 'gru', 'lstm']))
      .default(['rnn', 'gru', 'lstm'])
      .transform(unique),
    steps: int(1, 10_000_000).default(ADDING_DEFAULTS.steps),
    evalEvery: int(1, 10_000_000).default(ADDING_DEFAULTS.evalEvery),
    hidden: int(1, 4096).default(ADDING_DEFAULTS.hidden),
    batch: int(1, 65_536).default(ADDING_DEFAULTS.batch),
    lr: z.number().positive().max(10).default(ADDING_DEFAULTS.lr),
    seed: int(0, 2 ** 31 - 1).default(ADDING_DEFAULTS.seed),
    testSize: int(1, 1_000_000).default(ADDING_DEFAULTS.testSize),
    timeLimit: z.number().min(0).default(ADDING_DEFAULTS.timeLimit),
    json: z.boolean().default(false),
  })
  .strict();

/** Validated `bench long-range` flags. */
export type LongRangeFlags = z.infer<typeof LongRangeFlagsSchema>;

/** A `bench speed` workload name. */
export type SpeedWorkloadName = WorkloadName | PackedWorkloadName;

/** Every `bench speed` workload: the anchors' W1/W2/W3, then the packed ones. */
export const SPEED_WORKLOADS: readonly SpeedWorkloadName[] = [...WORKLOAD_NAMES, ...PACKED_WORKLOAD_NAMES];
const WORKLOAD_CHOICES = [...SPEED_WORKLOADS, 'all'];

const workloadList = commaList(
  z.preprocess(
    // case-insensitive: w1 and w1-packed name W1 and W1-packed
    (v) =>
      typeof v === 'string' ? (WORKLOAD_CHOICES.find((n) => n.toLowerCase() === v.toLowerCase()) ?? v) : v,
    z.enum(WORKLOAD_CHOICES as [string, ...string[]]),
  ),
).transform((names) =>
  unique(names.flatMap((n) => (n === 'all' ? SPEED_WORKLOADS : [n as SpeedWorkloadName]))),
);

const modeList = commaList(z.enum(['train', 'infer', 'all'])).transform((modes) =>
  // train before infer whatever the order given, as torch_bench.py (infer runs on the trained weights)
  (['train', 'infer'] as const).filter((m) => modes.includes(m) || modes.includes('all')),
);

/** `seqlab bench speed` flags, with torch_bench.py's defaults. */
export const SpeedFlagsSchema = z
  .object({
    workload: workloadList.default([...SPEED_WORKLOADS]),
    mode: modeList.default(['train', 'infer']),
    steps: int(1, 1_000_000).default(20),
    warmup: int(0, 1_000_000).default(3),
    seed: int(0, 2 ** 31 - 2).default(0),
    /** The longest sequence length T of the packed workloads (lengths uniform in 5..T), one run per T. */
    maxLen: commaList(z.coerce.number().int().min(PACKED_WORKLOADS['W1-packed'].minLen).max(10_000))
      .default([PACKED_WORKLOADS['W1-packed'].seq])
      .transform(unique),
    /** A registered backend to select first (after loading the optional ones); default: the active one. */
    backend: z.string().min(1).optional(),
    /** seqlab (the default) or onnxruntime: the same models exported with @seqlab/onnx, inference only. */
    engine: z.enum(['seqlab', 'onnxruntime']).default('seqlab'),
    /** onnxruntime: intra-op threads (default: the available cores). */
    threads: int(1, 1024).optional(),
    json: z.boolean().default(false),
  })
  .strict();

/** `seqlab bench backends` flags. */
export const BackendsFlagsSchema = z.object({ json: z.boolean().default(false) }).strict();

/** Validated `bench speed` flags. */
export type SpeedFlags = z.infer<typeof SpeedFlagsSchema>;

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  return JSON.stringify(value) ?? String(value);
}

/**
 * Validates a command's flags (commander's camelCased keys) with `schema`. Throws one ConfigError
 * listing every problem as `--flag: expected …, got …` (exit code 2).
 */
export function parseFlags<S extends z.ZodType>(op: string, schema: S, flags: unknown): z.infer<S> {
  const result = schema.safeParse(flags);
  if (result.success) return result.data;
  const raw = (flags ?? {}) as Record<string, unknown>;
  const problems = result.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? '');
    const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    if (issue.code === 'unrecognized_keys') return `unknown option(s) ${issue.keys.join(', ')}`;
    return `${flag}: ${issue.message.replace(/^Invalid (input|option): /, '')} (given ${describe(raw[key])})`;
  });
  throw new ConfigError(op, 'valid options', problems.join('; '));
}
