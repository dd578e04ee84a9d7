const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export interface LocalResponseOptions {
  /** The connection closes after this response. */
  close: boolean;
  /** The client spoke HTTP/1.0: a connection that stays open must say so. */
  http10: boolean;
  /** Answering HEAD: the head announces the body but does not carry it. */
  headRequest: boolean;
}

/** A short text/plain response the router writes itself (404 without a route, 502, 400, ...). */
export function localResponse(status: number, body: string, options: LocalResponseOptions): string {
  let head = `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`;
  if (options.close) head += 'Connection: close\r\n';
  else if (options.http10) head += 'Connection: keep-alive\r\n';
  return options.headRequest ? `${head}\r\n` : `${head}\r\n${body}`;
}
