// The seqlab side of guides/coming-from-pytorch.md: the article's PyTorch snippets, written the way
// a PyTorch user writes them, in seqlab. coming-from-pytorch.test.ts runs each one on weights and
// inputs drawn by PyTorch (tools/fixtures/gen_habits.py) and compares with PyTorch's outputs.
import {
  crossEntropy,
  Dropout,
  Embedding,
  GRU,
  Linear,
  LSTM,
  LSTMCell,
  Module,
  mseLoss,
} from '@seqlab/layers';
import { EarlyStopping } from '@seqlab/metrics';
import { Adam, clipGradNorm } from '@seqlab/optim';
import {
  noGrad,
  packPaddedSequence,
  padPackedSequence,
  setDefaultGenerator,
  type Tensor,
  TorchGenerator,
  tidy,
} from '@seqlab/tensor';

/** A state dict as PyTorch's `load_state_dict` takes it: parameter name -> tensor. */
export type Weights = Record<string, Tensor>;

// guide: model
export class SentimentLSTM extends Module {
  embedding: Embedding;
  lstm: LSTM;
  dropout: Dropout;
  fc: Linear;

  constructor(vocabSize: number, embed: number, hidden: number, classes: number) {
    super();
    this.embedding = new Embedding(vocabSize, embed, { paddingIdx: 0 });
    this.lstm = new LSTM(embed, hidden, {
      numLayers: 2,
      bidirectional: true,
      batchFirst: true,
      dropout: 0.3,
    });
    this.dropout = new Dropout(0.5);
    this.fc = new Linear(2 * hidden, classes);
  }

  forward(ids: Tensor): Tensor {
    const { output } = this.lstm.forward(this.embedding.forward(ids)); // [B, T, 2H]
    return this.fc.forward(this.dropout.forward(output.select(1, -1))); // [B, C]
  }
}
// end

/** A 2-layer bidirectional batch-first LSTM started from PyTorch's (h0, c0) tuple. */
export function stackedBiLSTM(weights: Weights, x: Tensor, h0: Tensor, c0: Tensor) {
  // guide: lstm
  const lstm = new LSTM(2, 3, { numLayers: 2, bidirectional: true, batchFirst: true });
  lstm.loadStateDict(weights);
  const { output, hN, cN } = lstm.forward(x, [h0, c0]); // x [B, T, I], h0 and c0 [L*D, B, H]
  // end
  return { output, hN, cN };
}

/** A GRU started from h0, and one LSTMCell step from PyTorch's (h, c). */
export function gruAndCell(
  gruWeights: Weights,
  x: Tensor,
  h0: Tensor,
  cellWeights: Weights,
  xt: Tensor,
  h: Tensor,
  c: Tensor,
) {
  // guide: gru-cell
  const gru = new GRU(2, 3);
  gru.loadStateDict(gruWeights);
  const { output, hN } = gru.forward(x, h0); // x [T, B, I], h0 [1, B, H]

  const cell = new LSTMCell(2, 3);
  cell.loadStateDict(cellWeights);
  const next = cell.forward(xt, [h, c]); // { h, c }, each [B, H]
  // end
  return { output, hN, h1: next.h, c1: next.c };
}

/** An LSTM over a batch with unsorted lengths, packed as PyTorch's enforce_sorted=False does. */
export function packedLSTM(weights: Weights, x: Tensor, lengths: number[]) {
  // guide: packed
  const lstm = new LSTM(2, 3, { batchFirst: true });
  lstm.loadStateDict(weights);
  const packed = packPaddedSequence(x, lengths, { batchFirst: true, enforceSorted: false });
  const { output, hN, cN } = lstm.forward(packed);
  const [padded, outLengths] = padPackedSequence(output, { batchFirst: true });
  // end
  return { padded, outLengths, hN, cN };
}

/** Adam with PyTorch's positional learning rate, three steps of MSE. */
export function trainWithAdam(weights: Weights, x: Tensor, y: Tensor, steps: number) {
  // guide: adam
  const fc = new Linear(2, 1);
  fc.loadStateDict(weights);
  const optimizer = new Adam(fc.parameters(), 0.1);
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    optimizer.zeroGrad();
    const loss = mseLoss(fc.forward(x), y);
    loss.backward();
    optimizer.step();
    losses.push(loss.item());
  }
  // end
  return { fc, losses };
}

/** Gradients add up over backward() calls until zeroGrad(), and clipGradNorm returns the norm. */
export function accumulateAndClip(w: Tensor, x: Tensor) {
  // guide: gradients
  x.matmul(w).pow(2).sum().backward();
  const once = w.grad!.clone();
  x.matmul(w).pow(2).sum().backward(); // no zeroGrad(): w.grad is now twice as large
  const twice = w.grad!.clone();
  const totalNorm = clipGradNorm([w], 1.0); // nn.utils.clip_grad_norm_
  // end
  return { once, twice, totalNorm, clipped: w.grad! };
}

/** Everyday tensor methods, with PyTorch's keyword arguments made positional. */
export function tensorMethods(x: Tensor, y: Tensor, w: Tensor) {
  // guide: methods
  const size = x.size(); // x.size() -> [2, 3], the same array as x.shape
  const columns = x.size(1); // 3
  const clamped = x.clamp(0); // x.clamp(min=0); x.clamp(null, 1) is clamp(max=1)
  const scaled = x.add(y.mul(2)); // x.add(y, alpha=2)
  const viewed = x.view(3, 2); // or x.view([3, 2])
  const sums = x.sum(1, true); // x.sum(1, keepdim=True)
  const values = x.max(1); // x.max(1).values
  const indices = x.argmax(1); // x.max(1).indices
  const total = x.sum().item(); // a number
  const doubled = noGrad(() => w.mul(2)); // with torch.no_grad(): ...
  // end
  return { size, columns, clamped, scaled, viewed, sums, values, indices, total, doubled };
}

/** An inference loop whose steps hand their tensors' storage back to the next (tidy). */
export function predictAll(model: Module & { forward(x: Tensor): Tensor }, batches: Tensor[]): number[][] {
  const predictions: number[][] = [];
  model.eval();
  // guide: tidy
  for (const batch of batches) {
    // What the step makes (embedding, each layer's output, ...) goes back to the pool when it returns.
    const predicted = tidy(() => noGrad(() => model.forward(batch).argmax(1)));
    predictions.push(predicted.toArray() as number[]);
  }
  // end
  return predictions;
}

/** A training loop whose steps hand their tensors' storage back to the next (tidy around the whole step). */
export function trainTidy(
  model: Module & { forward(x: Tensor): Tensor },
  batches: { ids: Tensor; labels: Tensor }[],
) {
  const optimizer = new Adam(model.parameters(), 1e-3);
  const losses: number[] = [];
  model.train();
  // guide: tidy-train
  for (const { ids, labels } of batches) {
    // Forward, backward and step in one tidy: the activations go back to the pool; the
    // parameters, their .grad and Adam's state stay. Return numbers, not the loss tensor.
    const loss = tidy(() => {
      optimizer.zeroGrad();
      const l = crossEntropy(model.forward(ids), labels);
      l.backward();
      clipGradNorm(model.parameters(), 1.0);
      optimizer.step();
      return l.item();
    });
    losses.push(loss);
  }
  // end
  return { losses, optimizer };
}

/** PyTorch's initial weights: torch.manual_seed(seed), then the layer. */
export function torchInitialLSTM(seed: number): LSTM {
  // guide: seed
  const previous = setDefaultGenerator(new TorchGenerator(seed)); // torch.manual_seed(seed)
  const lstm = new LSTM(2, 3, { numLayers: 2, bidirectional: true, batchFirst: true });
  setDefaultGenerator(previous);
  // end
  return lstm;
}

/** The early-stopping pattern: keep the best epoch's weights, restore them at the end. */
export function keepBest(model: Module, validLoss: (epoch: number) => number, epochs: number): EarlyStopping {
  // guide: early-stopping
  const stopper = new EarlyStopping({ patience: 2, mode: 'min' });
  for (let epoch = 0; epoch < epochs; epoch++) {
    if (stopper.step(validLoss(epoch), epoch, model.stateDict())) break;
  }
  model.loadStateDict(stopper.bestState!);
  // end
  return stopper;
}
