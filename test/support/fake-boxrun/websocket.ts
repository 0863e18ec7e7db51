/**
 * The server side of RFC 6455, as much as the fake's attach endpoint needs: the upgrade handshake,
 * unmasked text/binary/close frames out, and reading the client's masked frames (only close is
 * acted on). Written here rather than imported so the fake has no dependency of its own.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export interface ServerSocket {
  sendText(text: string): void;
  sendBinary(data: Buffer): void;
  /** Sends a close frame with `code` and ends the connection. */
  close(code?: number): void;
  readonly closed: Promise<void>;
}

/** Completes the upgrade; the client's close frame (or a dropped connection) resolves `closed`. */
export function acceptWebSocket(request: IncomingMessage, socket: Duplex): ServerSocket {
  const key = String(request.headers['sec-websocket-key'] ?? '');
  const accept = createHash('sha1').update(key + GUID).digest('base64');
  socket.write(['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${accept}`, '', ''].join('\r\n'));
  let ended = false;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  const end = (): void => {
    if (ended) return;
    ended = true;
    socket.end();
    resolveClosed();
  };
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    for (;;) {
      const frame = readFrame(pending);
      if (!frame) break;
      pending = pending.subarray(frame.length);
      if (frame.opcode === 0x8) {
        write(0x8, frame.payload.subarray(0, 2));
        end();
      }
    }
  });
  socket.on('close', () => {
    ended = true;
    resolveClosed();
  });
  socket.on('error', () => resolveClosed());
  const write = (opcode: number, payload: Buffer): void => {
    if (ended) return;
    socket.write(Buffer.concat([frameHeader(opcode, payload.length), payload]));
  };
  return {
    sendText: (text) => write(0x1, Buffer.from(text, 'utf8')),
    sendBinary: (data) => write(0x2, data),
    close: (code = 1000) => {
      const payload = Buffer.alloc(2);
      payload.writeUInt16BE(code);
      write(0x8, payload);
      end();
    },
    closed,
  };
}

/** Answers an upgrade request with a plain HTTP error (no upgrade), as the real server does for 404/409. */
export function refuseUpgrade(socket: Duplex, status: number, statusText: string, body: unknown): void {
  const text = JSON.stringify(body);
  socket.end([`HTTP/1.1 ${status} ${statusText}`, 'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(text)}`, 'Connection: close', '', text].join('\r\n'));
}

function frameHeader(opcode: number, length: number): Buffer {
  if (length < 126) return Buffer.from([0x80 | opcode, length]);
  if (length < 65536) {
    const header = Buffer.from([0x80 | opcode, 126, 0, 0]);
    header.writeUInt16BE(length, 2);
    return header;
  }
  const header = Buffer.alloc(10);
  header[0] = 0x80 | opcode;
  header[1] = 127;
  header.writeBigUInt64BE(BigInt(length), 2);
  return header;
}

function readFrame(buffer: Buffer): { opcode: number; payload: Buffer; length: number } | undefined {
  if (buffer.length < 2) return undefined;
  const opcode = buffer[0]! & 0x0f;
  const masked = (buffer[1]! & 0x80) !== 0;
  let length = buffer[1]! & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (buffer.length < 4) return undefined;
    length = buffer.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (buffer.length < 10) return undefined;
    length = Number(buffer.readBigUInt64BE(2));
    offset = 10;
  }
  const mask = masked ? buffer.subarray(offset, offset + 4) : undefined;
  if (masked) offset += 4;
  if (buffer.length < offset + length) return undefined;
  const payload = Buffer.from(buffer.subarray(offset, offset + length));
  if (mask) for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ mask[i % 4]!;
  return { opcode, payload, length: offset + length };
}
