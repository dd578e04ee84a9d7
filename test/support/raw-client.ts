import net from 'node:net';

/** Rejects if `promise` has not settled after `ms`: a stuck proxy fails the test instead of hanging it. */
export function within<T>(promise: Promise<T>, what: string, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const open = new Set<net.Socket>();

/** Destroys every RawClient socket still open (call it after each test). */
export function destroyRawClients(): void {
  for (const socket of open) socket.destroy();
  open.clear();
}

/** A raw client connection to 127.0.0.1 with helpers to read the bytes received so far. */
export class RawClient {
  readonly socket: net.Socket;
  received = Buffer.alloc(0);
  closed = false;
  private waiters: Array<() => void> = [];

  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    open.add(this.socket);
    this.socket.on('data', (d) => {
      this.received = Buffer.concat([this.received, d]);
      this.wake();
    });
    this.socket.on('error', () => {});
    this.socket.on('close', () => {
      this.closed = true;
      open.delete(this.socket);
      this.wake();
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  text(): string {
    return this.received.toString('latin1');
  }

  /** Waits until `predicate` holds for the bytes received (or the connection closed). */
  async until(predicate: (text: string) => boolean, what: string): Promise<string> {
    await within(
      (async () => {
        while (!predicate(this.text())) {
          if (this.closed) throw new Error(`connection closed before ${what}; got ${JSON.stringify(this.text())}`);
          await new Promise<void>((resolve) => this.waiters.push(resolve));
        }
      })(),
      what,
    );
    return this.text();
  }

  async untilClosed(ms = 5000): Promise<string> {
    await within(
      (async () => {
        while (!this.closed) await new Promise<void>((resolve) => this.waiters.push(resolve));
      })(),
      'the connection to close',
      ms,
    );
    return this.text();
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }
}
