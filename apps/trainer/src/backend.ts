import { type NativeStatus, registerNative } from '@seqlab/native';
import { BackendError } from '@seqlab/tensor';
import { inferRecurrentLayer, setWasmLayerInference } from '@seqlab/tensor/backend';

let status: NativeStatus | undefined;

/**
 * The CLI's backend choice, once at start-up: `native` when @seqlab/native is installed and its
 * addon loads, else @seqlab/tensor's default (wasm, else js). SEQLAB_BACKEND and SEQLAB_THREADS are
 * honoured (a bad SEQLAB_THREADS is a ConfigError; SEQLAB_BACKEND=native without a working addon a
 * BackendError with the reason). Returns what the native backend runs on, or
 * why it is not available.
 */
export function selectBackend(): NativeStatus {
  // The wasm backend's forward-only recurrent layers (NOTE(wasm-layer-inference) in @seqlab/tensor).
  setWasmLayerInference(inferRecurrentLayer);
  // The CLI is the whole process: malloc keeps the memory of freed typed arrays (registerNative's
  // retainFreedMemory) rather than faulting fresh pages in for the next ones.
  status ??= registerNative({ retainFreedMemory: true });
  if (!status.ok && process.env.SEQLAB_BACKEND === 'native') {
    throw new BackendError(
      'SEQLAB_BACKEND',
      'a backend that loads',
      `'native'`,
      `It did not: ${status.reason}`,
    );
  }
  return status;
}
