/**
 * The proxy's public listener, in front of mockttp (which accepts every CONNECT and knows no
 * policy). It answers a CONNECT itself when the proxy token is missing or wrong (407) or the target
 * is refused (403 with a readable body), so a refused client never gets as far as a TLS handshake;
 * otherwise it hands the connection to mockttp's loopback port unchanged. Plain-HTTP proxy requests
 * are relayed the same way. mockttp's handler repeats every check, so reaching mockttp directly
 * gains nothing.
 */
import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';

export interface FrontDecision {
  /** 200: hand over; 407 / 403 / 502: answer with `message`. */
  status: number;
  message?: string;
}

export interface ProxyFrontOptions {
  /** mockttp's port on 127.0.0.1. */
  innerPort: number;
  /** Decides about a CONNECT from its Proxy-Authorization header and `host:port` target. */
  decide(proxyAuthorization: string | undefined, target: { host: string; port: number }): Promise<FrontDecision>;
}

const REASONS: Record<number, string> = { 403: 'Forbidden', 407: 'Proxy Authentication Required', 502: 'Bad Gateway' };

function refusal(status: number, message: string): string {
  const body = `oma-vault: ${message}\n`;
  const auth = status === 407 ? 'Proxy-Authenticate: Basic realm="oma-vault"\r\n' : '';
  return `HTTP/1.1 ${status} ${REASONS[status] ?? 'Refused'}\r\n${auth}Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

function parseTarget(url: string | undefined): { host: string; port: number } | undefined {
  const match = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(url ?? '');
  return match ? { host: match[1]!.toLowerCase(), port: Number(match[2]) } : undefined;
}

export class ProxyFront {
  readonly server: http.Server;

  constructor(private readonly options: ProxyFrontOptions) {
    this.server = http.createServer((req, res) => this.relayRequest(req, res));
    this.server.on('connect', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void this.connect(req, socket, head));
    this.server.on('clientError', (_err, socket) => socket.destroy());
  }

  private async connect(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    const target = parseTarget(req.url);
    if (!target) {
      socket.end(refusal(403, `CONNECT needs a host:port target, got ${JSON.stringify(req.url ?? '')}`));
      return;
    }
    const decision = await this.options.decide(req.headers['proxy-authorization'], target).catch((err: unknown) => ({ status: 502, message: (err as Error).message }));
    if (decision.status !== 200) {
      socket.end(refusal(decision.status, decision.message ?? 'refused'));
      return;
    }
    // Replays the client's CONNECT to mockttp, whose 200 goes back to the client as the tunnel's answer.
    const inner = net.connect(this.options.innerPort, '127.0.0.1');
    inner.on('error', () => socket.destroy());
    socket.on('close', () => inner.destroy());
    inner.on('close', () => socket.destroy());
    const headers = Object.entries(req.headers).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : v}\r\n`).join('');
    inner.write(`CONNECT ${req.url} HTTP/1.1\r\n${headers}\r\n`);
    if (head.length > 0) inner.write(head);
    inner.pipe(socket);
    socket.pipe(inner);
  }

  private relayRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const upstream = http.request({ host: '127.0.0.1', port: this.options.innerPort, method: req.method, path: req.url, headers: req.headers }, (inner) => {
      res.writeHead(inner.statusCode ?? 502, inner.headers);
      inner.pipe(res);
    });
    upstream.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`oma-vault: ${err.message}\n`);
    });
    req.pipe(upstream);
  }

  /** Listens on a TCP host:port (port 0: any) or a unix socket path; resolves with the TCP port (0 for a socket). */
  listen(where: { host: string; port: number } | { path: string }): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      const done = () => {
        this.server.off('error', reject);
        const address = this.server.address();
        resolve(typeof address === 'object' && address ? address.port : 0);
      };
      if ('path' in where) this.server.listen(where.path, done);
      else this.server.listen(where.port, where.host, done);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
