// The ES module build's chunk of the wasm backend (NOTE(wasm-lazy)): what loader.browser.ts imports
// when `ready()` asks for wasm, the loader and the setter of the parts it takes from the registry's
// side (NOTE(wasm-js-parts)).

export { provideJsParts } from './js-parts.browser';
export { loadWasmBackendAsync } from './loader';
