import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { ConfigError } from '@seqlab/tensor';
import { loadRun } from '../../run';

/** `seqlab predict --run DIR [TEXT...]` (or one text per stdin line): label and class probabilities. */
export async function predictCommand(
  texts: string[],
  flags: { run?: string; json?: boolean },
): Promise<number> {
  if (!flags.run) throw new ConfigError('predict', '--run DIR', 'no --run');
  const { classifier } = await loadRun(resolve(flags.run));
  let inputs = texts;
  if (inputs.length === 0) {
    inputs = [];
    for await (const line of createInterface({ input: process.stdin }))
      if (line.trim() !== '') inputs.push(line);
  }
  if (inputs.length === 0) throw new ConfigError('predict', 'texts as arguments or lines on stdin', 'none');
  // The classifier a web page loads with @seqlab/classifier: the same numbers for the same texts.
  const predictions = classifier.classify(inputs);
  inputs.forEach((text, i) => {
    const { label, index, probabilities } = predictions[i];
    const probs = Object.fromEntries(
      classifier.labelNames.map((name, k) => [name, Number(probabilities[k].toFixed(6))]),
    );
    if (flags.json) console.log(JSON.stringify({ text, label, probabilities: probs }));
    else
      console.log(
        `${label}\t${probabilities[index].toFixed(3)}\t${text.length > 70 ? `${text.slice(0, 67)}...` : text}`,
      );
  });
  return 0;
}
