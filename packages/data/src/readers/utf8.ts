const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Where strict UTF-8 decoding failed: the byte offset and value of the first bad byte. */
export interface Utf8Failure {
  offset: number;
  byte: number;
}

/**
 * Decodes raw bytes as UTF-8 with a fatal `TextDecoder`, so invalid input is caught rather than
 * silently turned into U+FFFD (what Node's string decoding does). Returns the text, or where it
 * failed. A leading BOM is kept (callers strip it where it belongs: at the start of a file).
 *
 * Only invalid UTF-8 is a failure: any other error is thrown as it is, in particular Node's
 * `ERR_STRING_TOO_LONG` for valid text longer than the engine's longest string (2^29 - 24 UTF-16
 * units in V8), which the readers report as such (see `tooLongError`), not as invalid UTF-8.
 *
 * @param decode the decoder (a parameter so tests can stand in for a 512 MiB field)
 */
export function decodeUtf8(
  bytes: Uint8Array,
  decode: (bytes: Uint8Array) => string = (b) => strict.decode(b),
): string | Utf8Failure {
  try {
    return decode(bytes);
  } catch (error) {
    if ((error as { code?: unknown })?.code !== 'ERR_ENCODING_INVALID_ENCODED_DATA') throw error;
    const offset = firstInvalidByte(bytes);
    return { offset, byte: bytes[offset] };
  }
}

/** True for Node's error for a string longer than the engine allows (`ERR_STRING_TOO_LONG`). */
export function isStringTooLong(error: unknown): boolean {
  return (error as { code?: unknown })?.code === 'ERR_STRING_TOO_LONG';
}

/**
 * The offset where the first ill-formed sequence starts. Bisection finds the shortest failing
 * prefix (decoded in streaming mode, a prefix fails exactly when it holds an invalid sequence; an
 * incomplete one at its end is allowed, and longer prefixes keep failing). Its last byte either is
 * bad itself or interrupts a sequence; in that case the sequence's lead byte is reported.
 */
function firstInvalidByte(bytes: Uint8Array): number {
  const fails = (n: number): boolean => {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, n), { stream: true });
      return false;
    } catch {
      return true;
    }
  };
  let lo = 0;
  let hi = bytes.length;
  // An invalid sequence truncated at the very end only fails when the stream is flushed.
  if (!fails(hi)) return Math.max(0, lastLeadByte(bytes));
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (fails(mid)) hi = mid;
    else lo = mid;
  }
  const bad = hi - 1;
  for (let i = bad - 1; i >= 0 && i >= bad - 3; i--) {
    if ((bytes[i] & 0xc0) === 0x80) continue;
    const need = bytes[i] >= 0xf0 ? 4 : bytes[i] >= 0xe0 ? 3 : bytes[i] >= 0xc0 ? 2 : 1;
    return bad - i < need ? i : bad;
  }
  return bad;
}

/** The offset of the last byte that starts a multi-byte sequence (the truncated tail). */
function lastLeadByte(bytes: Uint8Array): number {
  for (let i = bytes.length - 1; i >= 0 && i >= bytes.length - 4; i--) {
    if ((bytes[i] & 0xc0) !== 0x80) return i;
  }
  return bytes.length - 1;
}

/** Line (1-based) and byte offset within that line of a byte offset in `bytes`. */
export function lineOf(bytes: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: offset - start };
}
