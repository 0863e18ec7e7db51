/**
 * The smallest tar archive code a file transfer API needs: one regular file in, the regular files
 * of an archive out. POSIX ustar headers, with a pax `path` record for names longer than 100 bytes;
 * reading also understands GNU long names (`L`). Directories, links and devices are skipped.
 */

const BLOCK = 512;

/** Builds an archive holding one regular file `name` (a relative path) with `data`, mode 0644. */
export function tarSingleFile(name: string, data: Buffer, options: { mtimeMs?: number } = {}): Buffer {
  const mtime = Math.floor((options.mtimeMs ?? Date.now()) / 1000);
  const parts: Buffer[] = [];
  const nameBytes = Buffer.from(name, 'utf8');
  if (nameBytes.length > 100) {
    const record = paxRecord('path', name);
    parts.push(header({ name: 'PaxHeader', size: record.length, type: 'x', mtime }), pad(record));
  }
  parts.push(header({ name: nameBytes.length > 100 ? nameBytes.subarray(0, 100).toString('latin1') : name, size: data.length, type: '0', mtime }), pad(data));
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

/** The regular files of an archive, in order, with their names as stored (pax/GNU long names applied). */
export function untarFiles(archive: Buffer): { name: string; data: Buffer }[] {
  const files: { name: string; data: Buffer }[] = [];
  let offset = 0;
  let longName: string | undefined;
  while (offset + BLOCK <= archive.length) {
    const block = archive.subarray(offset, offset + BLOCK);
    if (block.every((byte) => byte === 0)) break;
    const size = parseOctal(block.subarray(124, 136));
    const type = String.fromCharCode(block[156] ?? 0);
    const body = archive.subarray(offset + BLOCK, offset + BLOCK + size);
    offset += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'x') {
      longName = parsePax(body).path ?? longName;
      continue;
    }
    if (type === 'L') {
      longName = body.toString('utf8').replace(/\0+$/, '');
      continue;
    }
    const name = longName ?? headerName(block);
    longName = undefined;
    if (type === '0' || type === '\0') files.push({ name, data: Buffer.from(body) });
  }
  return files;
}

function header(entry: { name: string; size: number; type: string; mtime: number }): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(entry.name, 0, 100, 'utf8');
  block.write(octal(0o644, 8), 100, 'latin1');
  block.write(octal(0, 8), 108, 'latin1');
  block.write(octal(0, 8), 116, 'latin1');
  block.write(octal(entry.size, 12), 124, 'latin1');
  block.write(octal(entry.mtime, 12), 136, 'latin1');
  block.write(' '.repeat(8), 148, 'latin1');
  block.write(entry.type, 156, 'latin1');
  block.write('ustar\x0000', 257, 'latin1');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return block;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function parseOctal(field: Buffer): number {
  const text = field.toString('latin1').replace(/[\0 ]+$/g, '').trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function headerName(block: Buffer): string {
  const name = block.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
  const prefix = block.subarray(345, 500).toString('utf8').replace(/\0.*$/s, '');
  return prefix ? `${prefix}/${name}` : name;
}

function pad(data: Buffer): Buffer {
  const rest = data.length % BLOCK;
  return rest === 0 ? data : Buffer.concat([data, Buffer.alloc(BLOCK - rest)]);
}

/** One pax record: "<length> <key>=<value>\n", where length counts the whole record. */
function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length) length = String(length).length + Buffer.byteLength(body);
  return Buffer.from(`${length}${body}`, 'utf8');
}

function parsePax(body: Buffer): Record<string, string> {
  const records: Record<string, string> = {};
  let offset = 0;
  while (offset < body.length) {
    const space = body.indexOf(0x20, offset);
    if (space < 0) break;
    const length = Number(body.subarray(offset, space).toString('latin1'));
    if (!Number.isInteger(length) || length <= 0) break;
    const record = body.subarray(space + 1, offset + length - 1).toString('utf8');
    const equals = record.indexOf('=');
    if (equals > 0) records[record.slice(0, equals)] = record.slice(equals + 1);
    offset += length;
  }
  return records;
}
