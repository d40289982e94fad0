/**
 * A small client of a Connect worker's REST API (ours or Kafka's), for the `kstream connect …`
 * commands. Errors carry the worker's `{"error_code","message"}` as a one-line message.
 */

export class ConnectRestError extends Error {
  override name = 'ConnectRestError';
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export class ConnectClient {
  private readonly base: string;

  constructor(url: string) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new Error(`invalid --connect-url "${url}": expected http://host:port`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`invalid --connect-url "${url}": expected http://host:port`);
    this.base = u.href.replace(/\/+$/, '');
  }

  async request<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method,
        headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json', accept: 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code;
      throw new Error(`cannot reach the Connect worker at ${this.base}${cause ? ` (${cause})` : ''}: is \`kstream connect standalone\` (or Kafka Connect) running there?`);
    }
    const text = await res.text();
    let parsed: unknown = undefined;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    if (res.status >= 400) {
      const msg = parsed && typeof parsed === 'object' && 'message' in parsed ? String((parsed as { message: unknown }).message) : `HTTP ${res.status}`;
      throw new ConnectRestError(res.status, msg);
    }
    return { status: res.status, body: parsed as T };
  }

  static path(name: string, rest = ''): string {
    return `/connectors/${encodeURIComponent(name)}${rest}`;
  }
}
