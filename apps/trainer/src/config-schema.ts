import { z } from 'zod';
import { TrainConfigSchema } from './config';

/**
 * The JSON Schema of `--config` files, generated from the zod schema (what a file may hold: the
 * input side, every key optional), for editors: a config file that starts with
 * `"$schema": "…/config.schema.json"` gets completion and checks. Committed as
 * `apps/trainer/config.schema.json`; `config-schema.test.ts` fails when it is stale.
 */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(TrainConfigSchema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  const properties = {
    $schema: { type: 'string', description: 'this schema' },
    ...(schema.properties as object),
  };
  return {
    ...schema,
    $id: 'https://github.com/seqlab/seqlab/blob/main/apps/trainer/config.schema.json',
    title: 'seqlab train --config',
    properties,
  };
}
