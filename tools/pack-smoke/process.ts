// Child processes of the pack smoke tests: npm, pnpm, the packed CLI, run outside the workspace's
// environment so that they behave as on a user's machine.
import { type ExecFileOptions, execFile } from 'node:child_process';

/**
 * The environment of a child: this process's, without pnpm's npm_* and pnpm_* variables (so the
 * inner npm uses its own defaults), NODE_OPTIONS, INIT_CWD, a colour request or a chosen seqlab
 * backend or thread count (each test says what it runs on), and with NO_COLOR set.
 */
export function cleanEnv(): NodeJS.ProcessEnv {
  const dropped = ['NODE_OPTIONS', 'INIT_CWD', 'FORCE_COLOR', 'SEQLAB_BACKEND', 'SEQLAB_THREADS'];
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(npm_|pnpm_)/i.test(key) && !dropped.includes(key)) env[key] = value;
  }
  return { ...env, NO_COLOR: '1' };
}

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
  /** The command line, then stdout and stderr: what a failure shows. */
  output: string;
}

/** Runs a command and resolves with its exit code and output; never rejects on a non-zero exit. */
export function run(file: string, args: string[], options: ExecFileOptions = {}): Promise<Result> {
  return new Promise((resolvePromise) => {
    execFile(
      file,
      args,
      // A hung child is killed after 10 minutes (a failure with its output, never a hang).
      { env: cleanEnv(), maxBuffer: 64 * 1024 * 1024, encoding: 'utf8', timeout: 600_000, ...options },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        const output = `$ ${file} ${args.join(' ')}\n${stdout}${stderr}${error && !stderr ? String(error) : ''}`;
        resolvePromise({ code, stdout: String(stdout), stderr: String(stderr), output });
      },
    );
  });
}

/** `run`, rejecting with the command's output when it exits non-zero. */
export async function runOk(file: string, args: string[], options: ExecFileOptions = {}): Promise<Result> {
  const result = await run(file, args, options);
  if (result.code !== 0) throw new Error(`command failed with exit code ${result.code}\n${result.output}`);
  return result;
}
