// Type declarations for `bertology/dev-server` (web/dev-server.mjs): a small static server for
// development and tests, 127.0.0.1 only, with optional cross-origin isolation headers.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** Content-Type by file extension (.wasm → application/wasm, .mjs → text/javascript, …). */
export const MIME_TYPES: Record<string, string>;

export interface DevServerOptions {
  /** URL prefix → directory, e.g. {'/': '.', '/models/': '../shared/models'}; the longest matching prefix wins. */
  roots?: Record<string, string>;
  /** Send COOP same-origin + COEP require-corp (cross-origin isolation, hence threads); default true. */
  coi?: boolean;
  /** Default 0 (any free port). */
  port?: number;
  /** Extra headers on every response. */
  headers?: Record<string, string>;
  /** Custom routes, tried first; return true when handled. */
  handler?: (req: IncomingMessage, res: ServerResponse, url: URL) => boolean | Promise<boolean>;
  /** Maps a request path to a file path (before roots). */
  rewrite?: (pathname: string) => string | null;
  /** Print each request to stderr. */
  log?: boolean;
}

export interface DevServer {
  /** 'http://127.0.0.1:PORT/' */
  url: string;
  port: number;
  /** Every request served so far. */
  requests: { method: string; url: string; status: number }[];
  server: Server;
  close(): Promise<void>;
}

export function startDevServer(options?: DevServerOptions): Promise<DevServer>;
