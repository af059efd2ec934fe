/** Byte counts as people read them: 1073741824 → "1 GiB", 32768 → "32 KiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = Number.isInteger(value) ? 0 : 1;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/**
 * What goes between a field and its problem: a message that starts with a verb reads on from the
 * field ("version is missing; add …"), any other follows a colon ("runs[0].beta: must be …").
 */
export function problemSeparator(message: string): string {
  return /^(is|are|has|was) /.test(message) ? ' ' : ': ';
}

/** A spec problem as one sentence, for banners. */
export function problemText(path: string, message: string): string {
  return `${path || 'the experiment'}${problemSeparator(message)}${message}`;
}
