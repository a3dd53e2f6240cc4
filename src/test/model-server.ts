// A local HTTP server for model files, with Range support and injectable faults:
// 404, 500, a truncated body, a connection cut part-way (once), corrupted bytes, and a file
// of the wrong model kind (the UNet served in its place). Like the Hugging Face hub, each
// file's sha256 goes out in X-Linked-Etag (of the true file, so corrupt bytes are caught).
// It logs every request, so tests can assert what was (re)fetched. A folder's address lists it.
import { createServer, type Server } from 'node:http';
import { readFileSync, readdirSync, existsSync, statSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { createHash } from 'node:crypto';

export type Fault = '404' | '500' | 'truncate' | 'cut' | 'corrupt' | 'wrong-kind';

export interface RequestLog {
  path: string;
  range: string | null;
  status: number;
  bytesSent: number;
}

export interface ModelServer {
  url: string;
  log: RequestLog[];
  faults: Map<string, Fault>;
  /** Largest number of requests in flight at once. */
  maxConcurrent: number;
  close(): Promise<void>;
}

export async function startModelServer(root: string, delayMs = 0): Promise<ModelServer> {
  const log: RequestLog[] = [];
  const faults = new Map<string, Fault>();
  let active = 0;
  const state = { maxConcurrent: 0 };
  const server: Server = createServer((req, res) => {
    active++;
    state.maxConcurrent = Math.max(state.maxConcurrent, active);
    res.on('close', () => active--);
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\//, '');
    const entry: RequestLog = { path, range: req.headers.range ?? null, status: 0, bytesSent: 0 };
    log.push(entry);
    const file = join(root, normalize(path));
    const fault = faults.get(path);
    // A cross-origin-isolated page may fetch from here: CORS for the Range header and the
    // headers we read back, and CORP so COEP lets the response in.
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Allow-Headers', 'Range');
    res.setHeader('Access-Control-Expose-Headers', 'Content-Range, Content-Length, Accept-Ranges, X-Linked-Etag');
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    if (req.method === 'OPTIONS') {
      entry.status = 204;
      res.writeHead(204);
      return res.end();
    }
    const send = (status: number, body?: Uint8Array, headers: Record<string, string | number> = {}) => {
      entry.status = status;
      res.writeHead(status, { 'Accept-Ranges': 'bytes', ...headers });
      if (body) entry.bytesSent = body.length;
      setTimeout(() => res.end(body), delayMs);
    };
    // A folder answers with a directory listing, as python's http.server and nginx's autoindex do.
    if (!fault && file.startsWith(root) && existsSync(file) && statSync(file).isDirectory() && req.url?.endsWith('/')) {
      const links = readdirSync(file).map((n) => `<a href="${encodeURIComponent(n)}${statSync(join(file, n)).isDirectory() ? '/' : ''}">${n}</a>`);
      return send(200, new TextEncoder().encode(`<html><body>${links.join('\n')}</body></html>`), { 'Content-Type': 'text/html' });
    }
    if (fault === '404' || !file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) return send(404);
    if (fault === '500') return send(500);
    let data: Uint8Array = fault === 'wrong-kind' ? readFileSync(join(root, 'unet/model.onnx')) : readFileSync(file);
    // The hub's hash describes what it serves: a wrong-kind file is consistent, corrupt bytes are not.
    res.setHeader('X-Linked-Etag', `"${createHash('sha256').update(data).digest('hex')}"`);
    if (fault === 'corrupt') {
      data = Uint8Array.from(data);
      data[data.length >> 1] = data[data.length >> 1]! ^ 0xff;
    }
    const size = data.length;
    // Open-ended ranges (resuming a download) and closed ones (reading one tensor of a checkpoint).
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    const end = m?.[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
    if (start >= size && m) return send(416, undefined, { 'Content-Range': `bytes */${size}` });
    const body = data.subarray(start, end + 1);
    const headers: Record<string, string | number> = { 'Content-Length': body.length };
    if (m) headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
    if (fault === 'truncate' || fault === 'cut') {
      // Announce the whole body, send part of it, then drop the connection.
      entry.status = m ? 206 : 200;
      res.writeHead(entry.status, headers);
      const part = body.subarray(0, Math.floor(body.length * 0.4));
      entry.bytesSent = part.length;
      // Wait before dropping, so the client has received what was sent.
      res.write(part, () => setTimeout(() => res.destroy(), 400));
      if (fault === 'cut') faults.delete(path); // a cut happens once; the retry gets the rest
      return;
    }
    send(m ? 206 : 200, body, headers);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    faults,
    get maxConcurrent() {
      return state.maxConcurrent;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
