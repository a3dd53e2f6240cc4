// The studio's state in IndexedDB, one record per thing a person made: a record for the
// settings (and the order of the units), one per unit (its source and undo history), one per
// uploaded image, one per gallery image. A stroke rewrites only its unit's record, whatever
// the gallery holds. Gallery images and uploads are written before the studio shows them;
// other edits are written a moment later, and the save status says "Saving…" until they are.
// A failed write (a full quota) is reported and leaves the last saved record as it was.
import { createStore, del, entries, get, set, setMany, type UseStore } from 'idb-keyval';
import type { PlacedImage } from '../canvas/source.ts';
import type { History } from '../canvas/history.ts';
import type { UnitSource } from '../canvas/source.ts';
import type { GalleryItem } from './settings.ts';
import type { Unit } from './units.ts';

export type SaveState = { kind: 'saved' } | { kind: 'pending' } | { kind: 'failed'; message: string };

export function describeSaveError(err: unknown): string {
  const name = (err as { name?: string })?.name;
  if (name === 'QuotaExceededError') {
    return 'Browser storage is full: your latest changes are not saved (everything saved before is kept). Delete gallery images or downloaded model sets to free space.';
  }
  return `Saving failed (${err instanceof Error ? err.message : String(err)}); everything saved before is kept.`;
}

export interface RecordStores {
  settings: UseStore;
  units: UseStore;
  images: UseStore;
  gallery: UseStore;
}

/** idb-keyval keeps one object store per database, so each kind of record has its own. */
export function openRecordStores(prefix = 'controlnet-studio'): RecordStores {
  return {
    settings: createStore(`${prefix}-settings`, 'records'),
    units: createStore(`${prefix}-units`, 'records'),
    images: createStore(`${prefix}-images`, 'records'),
    gallery: createStore(`${prefix}-gallery`, 'records'),
  };
}

/** What is stored of a placed image in a unit record: everything but its pixels, which have their own record. */
type StoredImage = Omit<PlacedImage, 'blob'>;
type StoredSource = Omit<UnitSource, 'image'> & { image: StoredImage | null };
export type StoredUnit = Omit<Unit, 'source'> & { source: History<StoredSource> };

const stripSource = (src: UnitSource): StoredSource => ({ ...src, image: src.image ? (({ blob: _blob, ...rest }) => rest)(src.image) : null });
const stripHistory = <T, U>(h: History<T>, f: (t: T) => U): History<U> => ({ past: h.past.map(f), present: f(h.present), future: h.future.map(f) });

export const storedUnit = (unit: Unit): StoredUnit => ({ ...unit, source: stripHistory(unit.source, stripSource) });

function restoreUnit(stored: StoredUnit, images: Map<string, Blob>): Unit {
  const restore = (src: StoredSource): UnitSource => {
    const blob = src.image ? images.get(src.image.imageId) : undefined;
    // An image whose pixels are gone (never written, or storage cleared) is dropped rather than half-restored.
    return { ...src, image: src.image && blob ? { ...src.image, blob } : null };
  };
  return { ...stored, source: stripHistory(stored.source, restore) };
}

/** Image ids a unit's source and its history refer to. */
export const imageIdsOf = (unit: Pick<Unit, 'source'> | StoredUnit) =>
  [unit.source.present, ...unit.source.past, ...unit.source.future].map((s) => s.image?.imageId).filter((id): id is string => !!id);

export interface Loaded<S> {
  settings: S | null;
  units: Unit[];
  gallery: GalleryItem[];
}

/** Record writes, coalesced per record, with the save state reported as it changes. */
export class StudioRecords<S> {
  private pending = new Map<string, { store: UseStore; key: string; value: unknown | undefined }>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private writing: Promise<void> = Promise.resolve();
  private inFlight = 0;
  private failed: string | null = null;
  /** Records written and bytes of what was written (blobs excepted), for the cost of a change. */
  readonly written = { records: 0, bytes: 0 };

  constructor(
    private readonly stores: RecordStores,
    private readonly onSave: (state: SaveState) => void,
    private readonly delayMs = 150,
  ) {}

  get unsaved(): boolean {
    return this.pending.size > 0 || this.inFlight > 0;
  }

  private report() {
    this.onSave(this.failed ? { kind: 'failed', message: this.failed } : this.unsaved ? { kind: 'pending' } : { kind: 'saved' });
  }

  private async run<T>(job: () => Promise<T>): Promise<T> {
    this.inFlight++;
    this.report();
    try {
      const result = await job();
      this.failed = null;
      return result;
    } catch (err) {
      this.failed = describeSaveError(err);
      throw err;
    } finally {
      this.inFlight--;
      this.report();
    }
  }

  private count(value: unknown) {
    this.written.records++;
    this.written.bytes += JSON.stringify(value, (_, v) => (v instanceof Blob ? `blob:${v.size}` : v))?.length ?? 0;
  }

  /** Queues a record to be written (undefined: deleted) a moment from now; later changes to it replace this one. */
  queue(kind: keyof RecordStores, key: string, value: unknown | undefined): void {
    this.pending.set(`${kind}/${key}`, { store: this.stores[kind], key, value });
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush().catch(() => undefined), this.delayMs);
    this.report();
  }

  /** Writes what is queued now. Counts as unsaved from this call until the batch is stored. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = [...this.pending.values()];
    this.pending.clear();
    if (!batch.length) return this.writing;
    const write = async () => {
      for (const { store, key, value } of batch) {
        if (value === undefined) await del(key, store);
        else {
          this.count(value);
          await set(key, value, store);
        }
      }
    };
    const job = this.run(() => this.writing.catch(() => undefined).then(write));
    // A failed batch was reported; the next one still runs.
    this.writing = job;
    return job;
  }

  /** Writes one record now and resolves once it is stored (gallery images, uploads: shown only after this). */
  put(kind: keyof RecordStores, key: string, value: unknown): Promise<void> {
    this.count(value);
    return this.run(() => set(key, value, this.stores[kind]));
  }

  remove(kind: keyof RecordStores, key: string): Promise<void> {
    return this.run(() => del(key, this.stores[kind]));
  }

  /** Everything stored, with images joined back into their units; images no unit refers to any more are deleted. */
  async load(settingsKey: string): Promise<Loaded<S>> {
    const [settings, unitRecords, imageRecords, galleryRecords] = await Promise.all([
      get<S>(settingsKey, this.stores.settings),
      entries<string, StoredUnit>(this.stores.units),
      entries<string, Blob>(this.stores.images),
      entries<string, GalleryItem>(this.stores.gallery),
    ]);
    const images = new Map(imageRecords);
    const used = new Set(unitRecords.flatMap(([, u]) => imageIdsOf(u)));
    const orphans = [...images.keys()].filter((id) => !used.has(id));
    if (orphans.length) await Promise.all(orphans.map((id) => del(id, this.stores.images))).catch(() => undefined);
    return {
      settings: settings ?? null,
      units: unitRecords.map(([, u]) => restoreUnit(u, images)),
      gallery: galleryRecords.map(([, g]) => g).sort((a, b) => b.createdAt - a.createdAt),
    };
  }

  /** Moves an older save (the whole studio as one value) into records, once. */
  async migrate(legacy: UseStore, key: string, split: (value: unknown) => { settings: S; units: Unit[]; gallery: GalleryItem[] }): Promise<void> {
    const old = await get<{ state: unknown }>(key, legacy).catch(() => undefined);
    if (!old) return;
    const { settings, units, gallery } = split(old.state);
    const images: [string, Blob][] = units.flatMap((u) =>
      [u.source.present, ...u.source.past, ...u.source.future].flatMap((s) => (s.image ? [[s.image.imageId, s.image.blob] as [string, Blob]] : [])),
    );
    await setMany(images, this.stores.images);
    await setMany(
      units.map((u) => [u.id, storedUnit(u)]),
      this.stores.units,
    );
    await setMany(
      gallery.map((g) => [g.id, g]),
      this.stores.gallery,
    );
    await set('settings', settings, this.stores.settings);
    await del(key, legacy);
  }
}
