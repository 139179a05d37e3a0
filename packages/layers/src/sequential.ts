import { assertTensor, ConfigError, describeValue, type Tensor } from '@seqlab/tensor';
import { Module } from './module';

/** A module with a `forward` from one tensor to one tensor. */
export interface TensorModule extends Module {
  /** Maps one tensor to one tensor. */
  forward(x: Tensor): Tensor;
}

/**
 * Runs modules one after the other (torch.nn.Sequential); they are registered as `0`, `1`, …,
 * so state-dict keys match PyTorch's (`0.weight`, `2.bias`).
 *
 * @example
 * ```ts
 * const mlp = new Sequential(new Linear(128, 64), new ReLU(), new Linear(64, 2));
 * ```
 */
export class Sequential extends Module {
  /** The modules in the order they run (registered as `0`, `1`, …). */
  readonly layers: readonly TensorModule[];

  constructor(...layers: TensorModule[]) {
    super();
    layers.forEach((m, i) => {
      if (m instanceof Module) return;
      const hint = Array.isArray(m)
        ? 'Pass the modules as arguments: new Sequential(a, b), or new Sequential(...list)'
        : typeof m === 'object' && m !== null
          ? 'Pass the modules as arguments, new Sequential(a, b); named children (an OrderedDict in PyTorch) are not supported'
          : undefined;
      throw new ConfigError('Sequential', `a Module at position ${i}`, describeValue(m), hint);
    });
    this.layers = layers.map((m, i) => this.registerModule(String(i), m));
  }

  /** x through every module in order: each one's output is the next one's input. */
  forward(x: Tensor): Tensor {
    let y = x;
    for (const layer of this.layers) y = layer.forward(y);
    return y;
  }
}

/** max(x, 0) as a module (torch.nn.ReLU), for Sequential. */
export class ReLU extends Module {
  /** max(x, 0) elementwise, same shape. */
  forward(x: Tensor): Tensor {
    assertTensor('ReLU.forward', x);
    return x.relu();
  }
}

/** tanh as a module (torch.nn.Tanh), for Sequential. */
export class Tanh extends Module {
  /** tanh(x) elementwise, same shape. */
  forward(x: Tensor): Tensor {
    assertTensor('Tanh.forward', x);
    return x.tanh();
  }
}
