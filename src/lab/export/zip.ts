/**
 * A minimal zip writer (stored entries, no compression) so the lab can download an exported
 * project as one file without a library. Format: PKWARE APPNOTE 6.3 — a local header and the data
 * per file, then the central directory and its end record; names in UTF-8 (flag bit 11).
 */

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The files (path inside the zip -> text or bytes) as one stored zip archive. */
export function zipFiles(files: Record<string, string | Uint8Array>): Uint8Array {
  const enc = new TextEncoder();
  const entries = Object.entries(files).map(([name, content]) => {
    const data = typeof content === 'string' ? enc.encode(content) : content;
    return { name: enc.encode(name), data, crc: crc32(data) };
  });
  const size = entries.reduce((n, e) => n + 30 + e.name.length + e.data.length + 46 + e.name.length, 22);
  if (size > 0xffffffff || entries.length > 0xffff)
    throw new Error('zipFiles: the project is too large for a zip without zip64');
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  const u16 = (v: number) => {
    view.setUint16(at, v, true);
    at += 2;
  };
  const u32 = (v: number) => {
    view.setUint32(at, v, true);
    at += 4;
  };
  // Fields shared by the local and the central header: version, UTF-8 flag, stored, no date, crc, sizes, name length.
  const common = (e: (typeof entries)[number]) => {
    u16(20);
    u16(0x0800);
    u16(0);
    u16(0);
    u16(0x21); // 1980-01-01, so the archive is byte-for-byte reproducible
    u32(e.crc);
    u32(e.data.length);
    u32(e.data.length);
    u16(e.name.length);
  };
  const offsets: number[] = [];
  for (const e of entries) {
    offsets.push(at);
    u32(0x04034b50);
    common(e);
    u16(0);
    out.set(e.name, at);
    at += e.name.length;
    out.set(e.data, at);
    at += e.data.length;
  }
  const dirStart = at;
  for (const [i, e] of entries.entries()) {
    u32(0x02014b50);
    u16(20); // made by
    common(e);
    u16(0); // extra
    u16(0); // comment
    u16(0); // disk
    u16(0); // internal attributes
    u32(0); // external attributes
    u32(offsets[i]);
    out.set(e.name, at);
    at += e.name.length;
  }
  const dirSize = at - dirStart;
  u32(0x06054b50);
  u16(0);
  u16(0);
  u16(entries.length);
  u16(entries.length);
  u32(dirSize);
  u32(dirStart);
  u16(0);
  return out;
}
