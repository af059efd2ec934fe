/**
 * Finds invalid UTF-8 in a byte stream, by line. TextDecoder replaces bad bytes with U+FFFD and says
 * nothing; this scanner runs beside it over the same chunks (state carried across chunk boundaries)
 * so each line holding bad bytes can be reported. Line numbers count LF bytes from 1, the same
 * numbering the container parsers use.
 *
 * Validity per the Unicode standard (table 3-7): no overlong forms, no surrogates, nothing above
 * U+10FFFF, no stray continuation bytes, no truncated sequences.
 */
export class Utf8LineChecker {
  private line = 1;
  /** Continuation bytes still expected by the current sequence. */
  private need = 0;
  /** Allowed range of the next continuation byte (narrowed after E0, ED, F0, F4 leads). */
  private lo = 0x80;
  private hi = 0xbf;
  private lastBadLine = 0;
  readonly badLines: number[] = [];

  push(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i];
      if (this.need > 0) {
        if (b >= this.lo && b <= this.hi) {
          this.need--;
          this.lo = 0x80;
          this.hi = 0xbf;
          continue;
        }
        // The sequence broke off: that is an error, and this byte starts afresh.
        this.bad();
        this.need = 0;
        this.lo = 0x80;
        this.hi = 0xbf;
      }
      if (b < 0x80) {
        if (b === 10) this.line++;
      } else if (b >= 0xc2 && b <= 0xdf) this.need = 1;
      else if (b >= 0xe0 && b <= 0xef) {
        this.need = 2;
        if (b === 0xe0) this.lo = 0xa0;
        else if (b === 0xed) this.hi = 0x9f;
      } else if (b >= 0xf0 && b <= 0xf4) {
        this.need = 3;
        if (b === 0xf0) this.lo = 0x90;
        else if (b === 0xf4) this.hi = 0x8f;
      } else this.bad();
    }
  }

  /** Call once at the end: a sequence cut off by the end of the file is invalid too. */
  end(): void {
    if (this.need > 0) this.bad();
    this.need = 0;
  }

  private bad(): void {
    if (this.lastBadLine === this.line) return;
    this.lastBadLine = this.line;
    this.badLines.push(this.line);
  }
}

/** The lines of `bytes` with invalid UTF-8 (empty when it is all valid). */
export function invalidUtf8Lines(bytes: Uint8Array): number[] {
  const checker = new Utf8LineChecker();
  checker.push(bytes);
  checker.end();
  return checker.badLines;
}

export const INVALID_UTF8_WARNING =
  'invalid UTF-8 bytes, read as U+FFFD (\uFFFD); save the file as UTF-8 to keep the original characters';
