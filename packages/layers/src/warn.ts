/**
 * Emits a user warning: `process.emitWarning` under Node (so `--no-warnings` and
 * `process.on('warning')` apply), `console.warn` elsewhere. Browser-safe: no Node import.
 */
export function warn(message: string): void {
  const proc = (globalThis as { process?: { emitWarning?: (message: string, type?: string) => void } })
    .process;
  if (typeof proc?.emitWarning === 'function') proc.emitWarning(message, 'UserWarning');
  else console.warn(`UserWarning: ${message}`);
}
