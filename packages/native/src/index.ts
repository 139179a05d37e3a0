// @seqlab/native: the native CPU backend. `registerNative()` loads the addon (build/Release/, then
// prebuilds/) and registers a backend named `native` with @seqlab/tensor; nothing happens at
// import.

// Registering the backend
export {
  type NativeStatus,
  nativeStatus,
  type RegisterNativeOptions,
  registerNative,
  resolveThreads,
  setNativeThreads,
} from './register';

// The backend and the addon underneath, for benchmarks and tests
export type { NativeAddon, NativeIsa } from './addon';
export { createNativeBackend, type NativeBackend } from './backend';
export { addonCandidates, loadNative, type NativeLoad } from './load';
