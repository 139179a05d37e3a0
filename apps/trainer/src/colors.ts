import pc from 'picocolors';

/**
 * Colours for one output stream: on a terminal, or when FORCE_COLOR asks for them; never with
 * NO_COLOR or `--no-color`. (picocolors on its own also colours every stream when the CI variable
 * is set, so piped output, and what tests read, would depend on where it runs.)
 */
export function colorsFor(stream: NodeJS.WriteStream): ReturnType<typeof pc.createColors> {
  const env = process.env;
  const off = 'NO_COLOR' in env || process.argv.includes('--no-color');
  const forced = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return pc.createColors(!off && (forced || Boolean(stream.isTTY)));
}
