// A file on disk as a ByteSource: the converter reads it a tensor at a time with positioned
// reads, so a multi-GB checkpoint never sits in memory whole.
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { ByteSource } from '../convert/byte-source.ts';
import { CheckpointError } from '../convert/errors.ts';

export async function fileBytes(path: string): Promise<ByteSource> {
  const info = await stat(path).catch(() => null);
  if (!info) throw new CheckpointError(`${path} does not exist. Check the path.`);
  if (info.isDirectory()) throw new CheckpointError(`${path} is a folder; give a checkpoint file (or a diffusers folder where a folder is expected).`);
  const name = basename(path);
  return {
    name,
    size: info.size,
    async read(offset, length) {
      if (offset < 0 || offset + length > info.size) {
        throw new CheckpointError(`${name} ends at ${info.size} bytes, but a read needs bytes ${offset}–${offset + length}: the file is truncated. Download or copy it again.`);
      }
      const handle = await open(path, 'r');
      try {
        const out = new Uint8Array(length);
        let done = 0;
        while (done < length) {
          const { bytesRead } = await handle.read(out, done, length - done, offset + done);
          if (bytesRead === 0) throw new CheckpointError(`${name} changed while it was being read (it ended early). Try again.`);
          done += bytesRead;
        }
        return out;
      } finally {
        await handle.close();
      }
    },
  };
}
