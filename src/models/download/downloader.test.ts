// The downloader against a real local HTTP server with injected faults, into a real folder.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkStorage, DownloadError, DownloadQueue, downloadFile, fileStatuses, isCached, verifyFiles, type FileProgress, type RemoteFile } from './downloader.ts';
import { folderStore } from '../../cli/fs-store.ts';
import { startModelServer, type ModelServer } from '../../test/model-server.ts';

const SET = 'public/models/tiny-sd15';
let server: ModelServer;
beforeAll(async () => {
  server = await startModelServer(SET);
});
afterAll(() => server.close());

function remote(path: string): RemoteFile {
  const bytes = readFileSync(join(SET, path));
  return { url: `${server.url}/${path}`, path: `tiny/${path}`, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}
const fresh = () => {
  const dir = mkdtempSync(join(tmpdir(), 'opfs-'));
  return { dir, store: folderStore(dir) };
};

describe('model downloads', () => {
  it('streams a file into the store with progress, verifies it, and only then counts it as cached', async () => {
    const { dir, store } = fresh();
    const file = remote('unet/model.onnx');
    const progress: FileProgress[] = [];
    expect(await isCached(store, file)).toBe(false);
    const r = await downloadFile(store, file, { onProgress: (p) => progress.push(p) });
    expect(r).toEqual({ fetchedBytes: file.size, resumedFrom: 0 });
    expect(readFileSync(join(dir, file.path)).equals(readFileSync(join(SET, 'unet/model.onnx')))).toBe(true);
    expect(existsSync(join(dir, file.path + '.part'))).toBe(false);
    expect(await isCached(store, file)).toBe(true);
    const last = progress[progress.length - 1]!;
    expect(last.received).toBe(file.size);
    expect(last.total).toBe(file.size);
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.some((p) => p.bytesPerSecond > 0 && p.etaSeconds !== null)).toBe(true);
  });

  it.each(['404', '500'] as const)('reports a %s with the file named, caches nothing, and a retry after the fault clears succeeds', async (fault) => {
    const { store } = fresh();
    const file = remote('vae_decoder/model.onnx');
    server.faults.set('vae_decoder/model.onnx', fault);
    const err = await downloadFile(store, file).catch((e) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.message).toContain(`Downloading tiny/vae_decoder/model.onnx failed: the server answered ${fault}`);
    expect(await isCached(store, file)).toBe(false);
    server.faults.delete('vae_decoder/model.onnx');
    await downloadFile(store, file);
    expect(await isCached(store, file)).toBe(true);
  });

  it('resumes a connection cut part-way with a Range request, re-fetching only the rest, then verifies', async () => {
    const { dir, store } = fresh();
    const file = remote('unet/model_fp16.onnx');
    server.faults.set('unet/model_fp16.onnx', 'cut');
    const err = await downloadFile(store, file).catch((e) => e);
    expect(err.message).toMatch(/connection broke while downloading tiny\/unet\/model_fp16.onnx .* Retry to resume from byte \d+/);
    expect(await isCached(store, file)).toBe(false);
    const kept = statSync(join(dir, file.path + '.part')).size;
    expect(kept).toBeGreaterThan(0);
    const before = server.log.length;
    const r = await downloadFile(store, file);
    const retry = server.log.slice(before);
    expect(retry).toHaveLength(1);
    expect(retry[0]!.range).toBe(`bytes=${kept}-`);
    expect(retry[0]!.status).toBe(206);
    expect(r).toEqual({ fetchedBytes: file.size! - kept, resumedFrom: kept });
    expect(await isCached(store, file)).toBe(true);
    console.log(`resume after a cut: ${kept} of ${file.size} bytes kept; re-fetched ${r.fetchedBytes} bytes (${((100 * r.fetchedBytes) / file.size!).toFixed(1)}% of the file)`);
  });

  it('does not count a truncated body as cached, and resumes it on retry', async () => {
    const { store } = fresh();
    const file = remote('text_encoder/model.onnx');
    server.faults.set('text_encoder/model.onnx', 'truncate');
    const err = await downloadFile(store, file).catch((e) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect(await isCached(store, file)).toBe(false);
    server.faults.delete('text_encoder/model.onnx');
    const r = await downloadFile(store, file);
    expect(r.resumedFrom).toBeGreaterThan(0);
    expect(await isCached(store, file)).toBe(true);
  });

  it('cancel leaves a clean partial state: nothing counts as cached, and the retry resumes from the kept bytes', async () => {
    const { store } = fresh();
    const file = remote('unet/model.onnx');
    const abort = new AbortController();
    const err = await downloadFile(store, file, { signal: abort.signal, onProgress: () => abort.abort() }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect((err as Error).message).toMatch(/Download of tiny\/unet\/model.onnx cancelled at \d+ bytes; they are kept/);
    expect(await isCached(store, file)).toBe(false);
    const kept = (await store.size(`${file.path}.part`))!;
    expect(kept).toBeGreaterThan(0);
    const r = await downloadFile(store, file);
    expect(r.resumedFrom).toBe(kept);
    expect(r.fetchedBytes).toBe(file.size! - kept);
    expect(await isCached(store, file)).toBe(true);
  });

  it('without a manifest hash, checks the hub sha256 (X-Linked-Etag) and refuses a corrupt body', async () => {
    const { store } = fresh();
    const file = { ...remote('vae_decoder/model.onnx'), size: null, sha256: null };
    server.faults.set('vae_decoder/model.onnx', 'corrupt');
    const err = await downloadFile(store, file).catch((e: Error) => e);
    server.faults.delete('vae_decoder/model.onnx');
    expect((err as Error).message).toMatch(/tiny\/vae_decoder\/model.onnx is corrupt: its sha256 is [0-9a-f]{64}, expected [0-9a-f]{64}/);
    expect(await isCached(store, file)).toBe(false);
    await downloadFile(store, file);
    expect(await isCached(store, file)).toBe(true);
  });

  it('reports each file as cached, partial, missing or corrupt; verify finds changed bytes and deletes them', async () => {
    const { dir, store } = fresh();
    const [good, cut, absent, tampered] = ['text_encoder/model.onnx', 'unet/model.onnx', 'vae_encoder/model.onnx', 'vae_decoder/model.onnx'].map(remote);
    await downloadFile(store, good!);
    await downloadFile(store, { ...tampered!, sha256: null });
    server.faults.set('unet/model.onnx', 'cut');
    await downloadFile(store, cut!).catch(() => null);
    server.faults.clear();
    const short = { ...good!, path: 'tiny/short.onnx' };
    await downloadFile(store, { ...short, size: null, sha256: null });
    const statuses = await fileStatuses(store, [good!, cut!, absent!, { ...short, size: short.size! + 1 }]);
    expect(statuses.map((f) => f.status)).toEqual(['cached', 'partial', 'missing', 'corrupt']);
    expect(statuses[1]!.stored).toBeGreaterThan(0);

    // Flip one byte of a stored file: verify (against the hash recorded at download) deletes it.
    const path = join(dir, tampered!.path);
    const bytes = readFileSync(path);
    bytes[10] = bytes[10]! ^ 0xff;
    writeFileSync(path, bytes);
    const result = await verifyFiles(store, [good!, { ...tampered!, sha256: null }]);
    expect(result).toEqual({ checked: 2, corrupt: [tampered!.path], unverifiable: [] });
    expect(existsSync(path)).toBe(false);
  });

  it('deletes a file whose sha256 is wrong and names it', async () => {
    const { dir, store } = fresh();
    const file = remote('vae_encoder/model.onnx');
    server.faults.set('vae_encoder/model.onnx', 'corrupt');
    const err = await downloadFile(store, file).catch((e) => e);
    expect(err.message).toMatch(/^tiny\/vae_encoder\/model.onnx is corrupt: its sha256 is [0-9a-f]{64}, expected [0-9a-f]{64}. The bad file was deleted/);
    expect(existsSync(join(dir, file.path + '.part'))).toBe(false);
    expect(await isCached(store, file)).toBe(false);
    server.faults.delete('vae_encoder/model.onnx');
    await downloadFile(store, file);
    expect(await isCached(store, file)).toBe(true);
  });

  it('runs a few downloads at a time and never fetches the same file twice at once', async () => {
    const slow = await startModelServer(SET, 50);
    try {
      const { store } = fresh();
      const queue = new DownloadQueue(store, 3);
      const paths = ['text_encoder/model.onnx', 'unet/model.onnx', 'vae_decoder/model.onnx', 'vae_encoder/model.onnx', 'controlnet/canny/model.onnx', 'controlnet/scribble/model.onnx'];
      const files = paths.map((p) => ({ ...remote(p), url: `${slow.url}/${p}` }));
      await Promise.all([...files.map((f) => queue.download(f)), queue.download(files[0]!)]);
      expect(slow.maxConcurrent).toBeLessThanOrEqual(3);
      expect(slow.log.filter((l) => l.path === paths[0])).toHaveLength(1);
      for (const f of files) expect(await isCached(store, f)).toBe(true);
    } finally {
      await slow.close();
    }
  });

  it('refuses to start when the set will not fit, saying how much room is missing', async () => {
    const storage = { persist: async () => true, estimate: async () => ({ quota: 100 * 1024 * 1024, usage: 90 * 1024 * 1024 }) } as unknown as StorageManager;
    await expect(checkStorage(30 * 1024 * 1024, storage)).rejects.toThrow('needs 30 MB but the browser allows 10 MB more: 20 MB are missing');
    expect(await checkStorage(5 * 1024 * 1024, storage)).toEqual({ persisted: true, free: 10 * 1024 * 1024 });
  });
});
