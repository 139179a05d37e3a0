import { resolve } from 'node:path';
import { ConfigError } from '@seqlab/tensor';
import { writeFileAtomic } from '@seqlab/tensor/node';
import { z } from 'zod';
import { gateActivations } from '../../diagnostics/gate-activations';
import { GRADIENT_FLOW_DEFAULTS, measureGradientFlow } from '../../diagnostics/gradient-flow';
import { gradientEvents, gradientReport, gradientSvg } from '../../diagnostics/gradient-report';
import { gateHeatmapSvg, gateHeatmapText } from '../../diagnostics/heatmap';
import { Logger, type LogOptions } from '../../logger';
import { loadRun } from '../../run';

const D = GRADIENT_FLOW_DEFAULTS;
const MODELS = ['rnn', 'gru', 'lstm'] as const;

/** `--models rnn,gru` -> ['rnn', 'gru'] (zod then checks each name). */
const modelList = (v: unknown) =>
  typeof v === 'string' ? [...new Set(v.split(',').map((s) => s.trim().toLowerCase()))].filter(Boolean) : v;

/** The flags of `seqlab diagnose gradients`, validated once at entry (commander gives numbers or strings). */
export const GradientsFlagsSchema = z.object({
  length: z.number().int().min(3).max(100000).default(D.length),
  hidden: z.number().int().min(1).max(4096).default(D.hidden),
  input: z.number().int().min(1).max(4096).default(D.input),
  batch: z.number().int().min(1).max(65536).default(D.batch),
  seeds: z.number().int().min(1).max(1000).default(D.seeds),
  models: z.preprocess(modelList, z.array(z.enum(MODELS)).min(1)).default([...MODELS]),
  forgetBias: z.number().default(D.forgetBias),
  trainSteps: z.number().int().min(0).max(1000000).default(D.trainSteps),
  lr: z.number().positive().max(10).default(D.lr),
  svg: z.string().min(1).optional(),
  json: z.boolean().default(false),
});

/** The flags of `seqlab diagnose gates`. */
export const GatesFlagsSchema = z.object({
  run: z.string().min(1),
  svg: z.string().min(1).optional(),
  units: z.boolean().default(false),
  json: z.boolean().default(false),
});

/** `forgetBias` -> `--forget-bias`. */
const flagName = (key: PropertyKey) => `--${String(key).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** Parses flags with a schema; problems become one ConfigError (exit code 2) naming each flag. */
function parseFlags<S extends z.ZodType>(op: string, schema: S, raw: Record<string, unknown>): z.infer<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const [key, ...rest] = issue.path;
    const value = key === undefined ? raw : raw[key as string];
    const where = `${flagName(key ?? 'flags')}${rest.length ? `[${rest.join('.')}]` : ''}`;
    return `${where}: ${issue.message.replace(/^Invalid input: /, '')} (given ${JSON.stringify(value) ?? 'nothing'})`;
  });
  throw new ConfigError(op, 'valid flags', problems.join('; '));
}

async function writeSvg(path: string, svg: string): Promise<string> {
  const file = resolve(path);
  try {
    await writeFileAtomic(file, svg);
  } catch (error) {
    throw new ConfigError(
      '--svg',
      'a writable file',
      `${file} (${(error as NodeJS.ErrnoException).code ?? error})`,
    );
  }
  return file;
}

/**
 * `seqlab diagnose gradients`: ‖dL/dh_t‖ (and the LSTM's cell path ‖dL/dc_t‖) against the distance
 * from the loss, for RNN, GRU and LSTM, at initialisation and after a short training run — the
 * protocol of ../shared/bench/reference/gradient_flow.py (see `measureGradientFlow`). Prints the
 * reference's table (or JSON lines with `--json`) and writes a log-scale plot with `--svg FILE`.
 */
export async function gradientsCommand(
  flags: Record<string, unknown>,
  log: LogOptions = {},
): Promise<number> {
  const f = parseFlags('diagnose gradients', GradientsFlagsSchema, flags);
  const logger = new Logger(f.json ? { ...log, logFormat: 'json' } : log);
  const total = f.models.length * f.seeds * f.trainSteps;
  const progress = logger.tty && total > 0;
  if (progress) logger.startProgress('training', total);
  let done = 0;
  let last = performance.now();
  let result: ReturnType<typeof measureGradientFlow>;
  try {
    result = measureGradientFlow({
      length: f.length,
      hidden: f.hidden,
      input: f.input,
      batch: f.batch,
      seeds: f.seeds,
      models: f.models,
      forgetBias: f.forgetBias,
      trainSteps: f.trainSteps,
      lr: f.lr,
      clip: D.clip,
      onTrainStep: ({ loss }) => {
        done++;
        if (!progress) return;
        const now = performance.now();
        logger.progress(done, {
          loss,
          tokensPerSecond: (f.batch * f.length * 1000) / Math.max(1e-3, now - last),
        });
        last = now;
      },
    });
  } finally {
    if (progress) logger.stopProgress();
  }
  if (f.json) for (const event of gradientEvents(result)) console.log(JSON.stringify(event));
  else console.log(gradientReport(result));
  if (f.svg) {
    const file = await writeSvg(f.svg, gradientSvg(result));
    logger.info(`plot: ${file}`);
  }
  return 0;
}

/**
 * `seqlab diagnose gates --run DIR TEXT`: the forget, input and output gate activations of a run's
 * LSTM for every token of TEXT (last layer, forward direction, mean over hidden units), as a
 * terminal heatmap, an SVG heatmap with `--svg FILE` (`--units` adds one row per hidden unit), or
 * one JSON object with `--json`. A run whose model is not an LSTM is a ConfigError (exit code 2).
 */
export async function gatesCommand(
  words: readonly string[],
  flags: Record<string, unknown>,
): Promise<number> {
  const f = parseFlags('diagnose gates', GatesFlagsSchema, flags);
  const text = words.join(' ');
  if (text.trim() === '') throw new ConfigError('diagnose gates', 'a TEXT argument', 'none');
  const run = await loadRun(resolve(f.run));
  const acts = gateActivations(run.model, run.encoder, text);
  if (f.json) {
    console.log(
      JSON.stringify({
        event: 'gates',
        run: run.dir,
        layer: acts.layer,
        direction: acts.direction,
        hidden: acts.hidden,
        tokens: acts.tokens,
        ids: acts.ids,
        forget: acts.mean.forget,
        input: acts.mean.input,
        output: acts.mean.output,
        ...(f.units ? { units: acts.units } : {}),
      }),
    );
  } else {
    console.log(gateHeatmapText(acts, { width: process.stdout.columns ?? 80 }));
  }
  if (f.svg) {
    const file = await writeSvg(f.svg, gateHeatmapSvg(acts, { units: f.units }));
    if (!f.json) console.log(`heatmap: ${file}`);
  }
  return 0;
}
