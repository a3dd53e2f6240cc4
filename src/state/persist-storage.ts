// zustand's persist storage on IndexedDB (idb-keyval): values are stored by structured
// clone, so Blobs (uploaded images, gallery PNGs) and strokes go in as they are. Writes are
// coalesced; a failed write (a full quota) is reported and leaves the last saved copy alone.
import { createStore, get, set, del, type UseStore } from 'idb-keyval';
import type { PersistStorage, StorageValue } from 'zustand/middleware';

export type SaveState = { kind: 'saved' } | { kind: 'pending' } | { kind: 'failed'; message: string };

export function describeSaveError(err: unknown): string {
  const name = (err as { name?: string })?.name;
  if (name === 'QuotaExceededError') {
    return 'Browser storage is full: your latest changes are not saved (everything saved before is kept). Delete gallery images or downloaded model sets to free space.';
  }
  return `Saving failed (${err instanceof Error ? err.message : String(err)}); everything saved before is kept.`;
}

export function indexedDbStorage<S>(onSave: (state: SaveState) => void, delayMs = 200, db: UseStore = createStore('controlnet-studio', 'state')): PersistStorage<S> & { flush(): Promise<void> } {
  let queued: { name: string; value: StorageValue<S> } | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let writing: Promise<void> = Promise.resolve();

  const write = async () => {
    timer = null;
    const job = queued;
    queued = null;
    if (!job) return;
    try {
      await set(job.name, job.value, db);
      if (!queued) onSave({ kind: 'saved' });
    } catch (err) {
      onSave({ kind: 'failed', message: describeSaveError(err) });
    }
  };
  const flush = () => {
    if (timer) clearTimeout(timer);
    writing = writing.then(write);
    return writing;
  };

  return {
    getItem: async (name) => (await get<StorageValue<S>>(name, db)) ?? null,
    setItem: (name, value) => {
      queued = { name, value };
      onSave({ kind: 'pending' });
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => void flush(), delayMs);
    },
    removeItem: (name) => del(name, db),
    flush,
  };
}
