import http from 'node:http';
import net from 'node:net';

/** One request as node:http's strict parser (llhttp without insecureHTTPParser) framed it. */
export interface ParsedRequest {
  method: string;
  url: string;
  /** Field names lower-cased, values as parsed, in order. */
  headers: Array<[string, string]>;
  body: string;
  /** The body ended as framed (false when the bytes stopped or turned invalid first). */
  complete: boolean;
  /** Delivered as an upgrade (or CONNECT): the bytes after the head are no longer HTTP. */
  upgrade: boolean;
}

export interface StrictParse {
  requests: ParsedRequest[];
  /** The parser's error code (HPE_*) when it refused the bytes, else null. */
  error: string | null;
}

function record(req: http.IncomingMessage, upgrade: boolean): ParsedRequest {
  const headers: Array<[string, string]> = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2)
    headers.push([req.rawHeaders[i].toLowerCase(), req.rawHeaders[i + 1]]);
  return { method: req.method ?? '', url: req.url ?? '', headers, body: '', complete: false, upgrade };
}

/**
 * A node:http server in its default (strict) parsing mode that records what
 * it parsed on each connection, keyed by the client's local port, and answers
 * every request with a short 200 so pipelined requests go on.
 */
export class StrictServer {
  readonly server: http.Server;
  private readonly byPort = new Map<number, StrictParse>();
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor() {
    this.server = http.createServer({ keepAliveTimeout: 60_000, requestTimeout: 0, headersTimeout: 60_000 });
    // A client's FIN ends the connection after the responses due, instead of aborting requests not yet answered.
    Object.assign(this.server, { httpAllowHalfOpen: true });
    this.server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      const seen = record(req, false);
      this.parse(req.socket).requests.push(seen);
      req.setEncoding('latin1');
      req.on('data', (d: string) => {
        seen.body += d;
      });
      req.on('end', () => {
        seen.complete = true;
        // An explicit length keeps HTTP/1.0 keep-alive connections open (without it node answers close-delimited).
        res.writeHead(200, { 'Content-Length': '2' });
        res.end('ok');
      });
      req.on('error', () => {});
    });
    const tunnel = (req: http.IncomingMessage, socket: net.Socket, head: Buffer): void => {
      const seen = record(req, true);
      seen.body = head.toString('latin1');
      seen.complete = true;
      this.parse(socket).requests.push(seen);
      socket.on('error', () => {});
      socket.end('HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: x\r\n\r\n');
    };
    // A port can come back for a later connection: each connection starts a fresh record.
    this.server.on('connection', (socket: net.Socket) => {
      this.byPort.set(socket.remotePort ?? 0, { requests: [], error: null });
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server.on('upgrade', tunnel);
    this.server.on('connect', tunnel);
    this.server.on('clientError', (error: NodeJS.ErrnoException, socket: net.Socket) => {
      const parse = this.parse(socket);
      parse.error ??= error.code ?? error.message;
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      else socket.destroy();
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  /** Every request parsed so far, on all connections. */
  allRequests(): ParsedRequest[] {
    return [...this.byPort.values()].flatMap((p) => p.requests);
  }

  /** What was parsed on the connection that came from `clientPort`. */
  parsed(clientPort: number): StrictParse {
    return this.byPort.get(clientPort) ?? { requests: [], error: null };
  }

  private parse(socket: net.Socket): StrictParse {
    const key = socket.remotePort ?? 0;
    let parse = this.byPort.get(key);
    if (parse === undefined) {
      parse = { requests: [], error: null };
      this.byPort.set(key, parse);
    }
    return parse;
  }

  /** Sends `bytes` on a fresh connection, half-closes, and resolves with what was parsed once the server closes. */
  async parseBytes(bytes: Buffer): Promise<StrictParse> {
    const socket = net.connect(this.port, '127.0.0.1');
    socket.on('error', () => {});
    socket.resume();
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const localPort = socket.localPort ?? 0;
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.end(bytes);
    await closed;
    // The server's side may still be delivering the last events.
    await new Promise((r) => setImmediate(r));
    return this.parsed(localPort);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      // Upgraded sockets are not the http server's any more: destroy every connection it accepted.
      for (const socket of this.sockets) socket.destroy();
      this.server.close(() => resolve());
    });
  }
}
