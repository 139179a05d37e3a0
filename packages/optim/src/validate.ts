// Option checks shared by the optimizers and schedules. Each throws a ConfigError in the template
// `<op>: expected <name> <condition>, got <value>`.
import { ConfigError } from '@seqlab/tensor';

/** Throws unless `value` is a finite number ≥ 0. */
export function checkNonNegative(op: string, name: string, value: number): void {
  if (!(Number.isFinite(value) && value >= 0)) throw new ConfigError(op, `${name} ≥ 0`, String(value));
}

/** Throws unless `value` is a finite number > 0. */
export function checkPositive(op: string, name: string, value: number): void {
  if (!(Number.isFinite(value) && value > 0)) throw new ConfigError(op, `${name} > 0`, String(value));
}

/** Throws unless `value` is an integer > 0. */
export function checkPositiveInt(op: string, name: string, value: number): void {
  if (!(Number.isInteger(value) && value > 0))
    throw new ConfigError(op, `${name} to be an integer > 0`, String(value));
}

/** Throws unless `lo ≤ value < hi` (or `lo ≤ value ≤ hi` with `closed`). */
export function checkInRange(
  op: string,
  name: string,
  value: number,
  lo: number,
  hi: number,
  closed = false,
): void {
  const ok = value >= lo && (closed ? value <= hi : value < hi);
  if (!ok) throw new ConfigError(op, `${name} in [${lo}, ${hi}${closed ? ']' : ')'}`, String(value));
}
