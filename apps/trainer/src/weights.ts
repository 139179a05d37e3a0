import { skipInit } from '@seqlab/layers';
import {
  ConfigError,
  FileError,
  FormatError,
  formatShape,
  type SafetensorsDType,
  SeqlabError,
  tensorsFromRaw,
} from '@seqlab/tensor';
import { openSafetensorsFile, type SafetensorsFile } from '@seqlab/tensor/node';
import { classifierShapes, type ModelConfig, TextClassifier } from './model';
import { checkFiniteWeights } from './numeric-guard';
import { notARun, type RunOption } from './run-dir';

/** The dtypes a float parameter loads from (F16/BF16 widen to float32, F64 narrows). */
const FLOAT_DTYPES: readonly SafetensorsDType[] = ['F32', 'F16', 'BF16', 'F64'];

/**
 * Builds a run's classifier from its weights file, checking the file before building anything: the
 * header (names, dtypes, shapes; no tensor data) must hold exactly the parameters config.json
 * implies, so a small config.json that implies a huge model is refused unless the file really holds
 * that model. Then the model is built without random init (every parameter is loaded) and the
 * tensors are read one at a time, each straight into its parameter.
 *
 * @throws {ConfigError} when the file is missing (naming it and the option)
 * @throws {FileError} when it cannot be read (a directory, no permission)
 * @throws {FormatError} naming the file and the first tensor that does not fit config.json
 * @throws {NumericError} naming the file and the first tensor holding a NaN or an infinity
 */
export async function loadClassifier(
  config: ModelConfig,
  vocabSize: number,
  numClasses: number,
  path: string,
  option: RunOption = '--run',
): Promise<TextClassifier> {
  const expected = classifierShapes(config, vocabSize, numClasses);
  const file = await openWeights(path, option);
  try {
    checkHeader(file, expected, option);
    const model = skipInit(() => new TextClassifier(config, vocabSize, numClasses));
    for (const name of expected.keys()) {
      const one = tensorsFromRaw(new Map([[name, await file.read(name)]]));
      checkFiniteWeights(one, path, option);
      try {
        model.loadStateDict(one, { strict: false });
      } catch (error) {
        if (!(error instanceof SeqlabError)) throw error;
        throw new FormatError(
          option,
          `${path} to hold the model of config.json: ${error.expected}`,
          error.actual,
        );
      }
    }
    return model;
  } finally {
    await file.close();
  }
}

/**
 * Checks a weights file's header (names, shapes, dtypes; no tensor data is read) against the model
 * config.json implies, before that model is built: what `loadClassifier` does first, for callers that
 * build the model themselves (`train --resume`).
 *
 * @throws {ConfigError | FileError | FormatError} as loadClassifier
 */
export async function checkWeightsFile(
  config: ModelConfig,
  vocabSize: number,
  numClasses: number,
  path: string,
  option: RunOption = '--run',
): Promise<void> {
  const file = await openWeights(path, option);
  try {
    checkHeader(file, classifierShapes(config, vocabSize, numClasses), option);
  } finally {
    await file.close();
  }
}

async function openWeights(path: string, option: RunOption): Promise<SafetensorsFile> {
  try {
    return await openSafetensorsFile(path);
  } catch (error) {
    if (error instanceof FileError && error.code === 'ENOENT') {
      throw new ConfigError(option, 'an existing model file', `${path} (missing)`, notARun(option));
    }
    throw error;
  }
}

/** The file's names, dtypes and shapes against the model's, before anything is allocated. */
function checkHeader(file: SafetensorsFile, expected: Map<string, number[]>, option: RunOption): void {
  const fail = (what: string, actual: string): never => {
    throw new FormatError(option, `${file.path} to hold the model of config.json: ${what}`, actual);
  };
  const missing = [...expected.keys()].filter((name) => !file.tensors.has(name));
  const unexpected = [...file.tensors.keys()].filter((name) => !expected.has(name));
  if (missing.length > 0 || unexpected.length > 0) {
    const list = (names: string[]) => names.slice(0, 10).join(', ') + (names.length > 10 ? ', …' : '');
    fail(
      'its parameter names',
      [
        missing.length ? `missing ${list(missing)}` : '',
        unexpected.length ? `unexpected ${list(unexpected)}` : '',
      ]
        .filter(Boolean)
        .join('; '),
    );
  }
  for (const [name, shape] of expected) {
    const { dtype, shape: given } = file.tensors.get(name) as {
      dtype: SafetensorsDType;
      shape: readonly number[];
    };
    if (given.length !== shape.length || given.some((n, i) => n !== shape[i])) {
      fail(`${name} of shape ${formatShape(shape)}`, formatShape([...given]));
    }
    if (!FLOAT_DTYPES.includes(dtype)) fail(`${name} of a float dtype (F32, F16, BF16 or F64)`, dtype);
  }
}
