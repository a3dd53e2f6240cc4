// Record-by-record persistence (fake-indexeddb here): a stroke writes its unit's record and
// nothing else, whatever the gallery holds; a gallery image is stored before the gallery shows
// it; an upload's pixels come back with its unit; a full quota is reported and keeps what was saved.
import 'fake-indexeddb/auto';
import { createStore, get, type UseStore } from 'idb-keyval';
import { beforeAll, describe, expect, it } from 'vitest';
import { initHistory } from '../canvas/history.ts';
import { openRecordStores, StudioRecords, type SaveState } from './persistence.ts';
import type { GalleryItem } from './settings.ts';
import { studioRecords } from './studio-records.ts';
import { hydrateStudio, useStudio } from './studio-store.ts';
import { newUnit } from './units.ts';

const stroke = (x: number) => ({ kind: 'paint' as const, color: 'black' as const, size: 3, points: [x, x, x + 1, x + 1] });
let stores = 0;
const fresh = () => openRecordStores(`test-${stores++}`);

function galleryItem(i: number): GalleryItem {
  const s = useStudio.getState();
  return { id: `g${i}`, createdAt: i, png: new Blob([new Uint8Array(4096)]), width: 64, height: 64, settings: s.settings, units: [], controlMaps: [], parameters: `image ${i}`, model: 'tiny' };
}

beforeAll(async () => {
  // An older studio kept everything under one key; it moves into records once.
  const legacy = createStore('test-legacy', 'state');
  const unit = newUnit(64, 64, ['canny']);
  const image = { blob: new Blob(['old png']), name: 'old.png', width: 64, height: 64, x: 0, y: 0, scale: 1 };
  const { set } = await import('idb-keyval');
  await set(
    'studio',
    {
      state: { settings: { ...useStudio.getState().settings, prompt: 'from before' }, units: [{ ...unit, source: initHistory({ ...unit.source.present, image }) }], gallery: [galleryItem(0)] },
      version: 1,
    },
    legacy,
  );
  await hydrateStudio(legacy);
});

describe('the studio in records', () => {
  it('moved an older one-value save into records: settings, the unit with its image, the gallery', async () => {
    const s = useStudio.getState();
    expect(s.settings.prompt).toBe('from before');
    expect(s.units).toHaveLength(1);
    expect(await s.units[0]!.source.present.image!.blob.text()).toBe('old png');
    expect(s.gallery.map((g) => g.id)).toEqual(['g0']);
  });

  it('a stroke writes one unit record, the same size with an empty gallery and with 300 images', async () => {
    const s = () => useStudio.getState();
    const id = s().units[0]!.id;
    const cost = async () => {
      await studioRecords.flush();
      const before = { ...studioRecords.written };
      s().addStroke(id, stroke(s().units[0]!.source.present.strokes.length));
      await studioRecords.flush();
      return { records: studioRecords.written.records - before.records, bytes: studioRecords.written.bytes - before.bytes };
    };
    // Undo history grows by a stroke each time; the second stroke at each gallery size is compared.
    for (const item of s().gallery) await s().deleteFromGallery(item.id);
    await cost();
    const empty = await cost();
    for (let i = 1; i <= 300; i++) await s().addToGallery(galleryItem(i));
    await s().undo(id);
    await s().undo(id);
    await cost();
    const full = await cost();
    console.log(`write cost per stroke: ${empty.records} record, ${empty.bytes} bytes with 0 gallery images; ${full.records} record, ${full.bytes} bytes with 300`);
    expect(empty.records).toBe(1);
    expect(full).toEqual(empty);
  });

  it('a gallery image is in IndexedDB before the gallery shows it', async () => {
    const item = { ...galleryItem(1000), id: 'durable' };
    let storedWhenShown: unknown = 'not shown';
    const stop = useStudio.subscribe((s) => {
      if (storedWhenShown === 'not shown' && s.gallery.some((g) => g.id === 'durable')) storedWhenShown = null;
    });
    const stores = openRecordStores();
    const job = useStudio.getState().addToGallery(item);
    expect(useStudio.getState().gallery.some((g) => g.id === 'durable')).toBe(false);
    await job;
    stop();
    expect(storedWhenShown).toBeNull();
    expect(((await get<GalleryItem>('durable', stores.gallery)) as GalleryItem).parameters).toBe('image 1000');
  });
});

describe('StudioRecords', () => {
  it('brings an upload back with its unit, and drops images no unit refers to', async () => {
    const recordStores = fresh();
    const records = new StudioRecords<{ n: number }>(recordStores, () => {}, 0);
    const unit = newUnit(64, 64, []);
    const placed = { ...unit, source: initHistory({ ...unit.source.present, image: { blob: new Blob(['pixels']), imageId: 'img-a', name: 'a.png', width: 64, height: 64, x: 0, y: 0, scale: 1 } }) };
    await records.put('images', 'img-a', placed.source.present.image!.blob);
    await records.put('images', 'img-orphan', new Blob(['gone']));
    const { storedUnit } = await import('./persistence.ts');
    records.queue('units', unit.id, storedUnit(placed));
    records.queue('settings', 'settings', { n: 1 });
    await records.flush();
    const loaded = await records.load('settings');
    expect(loaded.settings).toEqual({ n: 1 });
    expect(await loaded.units[0]!.source.present.image!.blob.text()).toBe('pixels');
    expect(await get('img-orphan', recordStores.images)).toBeUndefined();
  });

  it('a full quota is reported in words and the last saved record stays', async () => {
    const reports: SaveState[] = [];
    let full = false;
    let saved: unknown = 'earlier';
    // A store whose writes fail the way a full origin quota does (a DOMException named QuotaExceededError).
    const quotaStore: UseStore = async (mode, callback) => {
      if (mode === 'readwrite' && full) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      const request = { result: saved } as IDBRequest;
      const store = { put: (v: unknown) => ((saved = v), request), get: () => request } as unknown as IDBObjectStore;
      const result = callback(store);
      return (result as unknown as IDBRequest).result ?? result;
    };
    const records = new StudioRecords<unknown>({ ...fresh(), settings: quotaStore }, (r) => reports.push(r), 0);
    full = true;
    records.queue('settings', 'settings', 'newer');
    await records.flush().catch(() => undefined);
    expect(reports.at(-1)).toEqual({ kind: 'failed', message: expect.stringMatching(/storage is full.*not saved.*everything saved before is kept.*Delete gallery images/i) });
    expect(saved).toBe('earlier');
    expect(records.unsaved).toBe(false);
  });
});
