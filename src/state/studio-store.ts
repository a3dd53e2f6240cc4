// The studio's one zustand store: settings, units, gallery and the transient run state,
// combined from slices. What a person made is kept in IndexedDB record by record
// (persistence.ts): hydrateStudio() reads it back and then writes each change to the record it
// touched — a stroke its unit's record, a setting the settings record — never the whole studio.
import { createStore, type UseStore } from 'idb-keyval';
import { create } from 'zustand';
import { imageIdsOf, storedUnit } from './persistence.ts';
import { createGallerySlice, type GallerySlice } from './gallery-slice.ts';
import { createRunSlice, type RunSlice } from './run-slice.ts';
import { createSettingsSlice, type SettingsSlice } from './settings-slice.ts';
import { DEFAULT_SETTINGS, type GalleryItem, type Settings } from './settings.ts';
import { studioRecords, type SettingsRecord } from './studio-records.ts';
import { createUnitsSlice, type UnitsSlice } from './units-slice.ts';
import type { Unit } from './units.ts';

export { useSaveState } from './studio-records.ts';

export type StudioState = SettingsSlice & UnitsSlice & GallerySlice & RunSlice;

export const useStudio = create<StudioState>()((...a) => ({
  ...createSettingsSlice(...a),
  ...createUnitsSlice(...a),
  ...createGallerySlice(...a),
  ...createRunSlice(...a),
}));

const settingsRecord = (s: StudioState): SettingsRecord => ({
  settings: s.settings,
  tools: s.tools,
  overlayOpacity: s.overlayOpacity,
  customSets: s.customSets,
  selectedUnitId: s.selectedUnitId,
  unitOrder: s.units.map((u) => u.id),
});

/** Image records known to be stored, so a unit that refers to an image (say, restored from the gallery) brings its pixels along. */
const storedImages = new Set<string>();

function blobsOf(unit: Unit): Map<string, Blob> {
  const out = new Map<string, Blob>();
  for (const src of [unit.source.present, ...unit.source.past, ...unit.source.future]) if (src.image) out.set(src.image.imageId, src.image.blob);
  return out;
}

/** Writes what each change touched: the settings record, and the record of each unit that changed or went. */
function writeChanges(s: StudioState, prev: StudioState): void {
  const a = settingsRecord(s);
  const b = settingsRecord(prev);
  if (
    a.settings !== b.settings ||
    a.tools !== b.tools ||
    a.overlayOpacity !== b.overlayOpacity ||
    a.customSets !== b.customSets ||
    a.selectedUnitId !== b.selectedUnitId ||
    a.unitOrder.join() !== b.unitOrder.join()
  ) {
    studioRecords.queue('settings', 'settings', a);
  }
  if (s.units === prev.units) return;
  const before = new Map(prev.units.map((u) => [u.id, u]));
  for (const unit of s.units) {
    if (before.get(unit.id) === unit) continue;
    for (const [id, blob] of blobsOf(unit)) {
      if (storedImages.has(id)) continue;
      storedImages.add(id);
      studioRecords.queue('images', id, blob);
    }
    studioRecords.queue('units', unit.id, storedUnit(unit));
  }
  const now = new Set(s.units.map((u) => u.id));
  for (const id of before.keys()) if (!now.has(id)) studioRecords.queue('units', id, undefined);
}

/** Bumps the input revision when anything a generation reads changes (drives live mode). */
function bumpRevision(s: StudioState, prev: StudioState): void {
  if (s.settings === prev.settings && s.units === prev.units) return;
  if (inputsOf(s.settings) === inputsOf(prev.settings) && s.units === prev.units) return;
  useStudio.setState({ inputRevision: s.inputRevision + 1 });
}

/** The settings a live run depends on (toggling live mode itself does not count). */
function inputsOf(settings: Settings): string {
  const { liveMode: _live, batchCount: _batch, latentPreview: _preview, ...rest } = settings;
  return JSON.stringify(rest);
}

useStudio.subscribe(bumpRevision);

let hydrated: Promise<void> | null = null;
/** True when hydration found nothing saved: the studio's defaults may still adapt to the device. */
let freshStudio = false;
export const isFreshStudio = () => freshStudio;

/**
 * Reads the studio back from IndexedDB (moving an older one-value save into records first),
 * then keeps every later change written. Call once, before the studio is shown.
 */
export function hydrateStudio(legacy: UseStore = createStore('controlnet-studio', 'state')): Promise<void> {
  hydrated ??= (async () => {
    await studioRecords.migrate(legacy, 'studio', splitLegacy).catch(() => undefined);
    const loaded = await studioRecords.load('settings');
    for (const unit of loaded.units) for (const id of imageIdsOf(unit)) storedImages.add(id);
    const saved = loaded.settings;
    freshStudio = saved === null;
    const byId = new Map(loaded.units.map((u) => [u.id, u]));
    const order = saved?.unitOrder ?? [];
    const units = [...order.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : [])), ...loaded.units.filter((u) => !order.includes(u.id))];
    useStudio.setState({
      ...(saved
        ? { settings: { ...DEFAULT_SETTINGS, ...saved.settings }, tools: saved.tools, overlayOpacity: saved.overlayOpacity, customSets: saved.customSets, selectedUnitId: saved.selectedUnitId }
        : {}),
      units,
      gallery: loaded.gallery,
    });
    useStudio.subscribe(writeChanges);
    if (typeof window !== 'undefined') {
      // A tab closes without waiting: write what is queued when it is hidden, and ask first while anything is unsaved.
      window.addEventListener('pagehide', () => void studioRecords.flush());
      window.addEventListener('beforeunload', (e) => {
        void studioRecords.flush();
        if (studioRecords.unsaved) e.preventDefault();
      });
    }
  })();
  return hydrated;
}

/** The whole-studio value an earlier version kept under one key, as records (images get ids). */
function splitLegacy(value: unknown): { settings: SettingsRecord; units: Unit[]; gallery: GalleryItem[] } {
  const old = value as Partial<SettingsRecord> & { units?: Unit[]; gallery?: GalleryItem[] };
  const ids = new Map<Blob, string>();
  const withIds = (u: Unit): Unit => {
    const fix = (src: Unit['source']['present']) =>
      src.image && !src.image.imageId
        ? { ...src, image: { ...src.image, imageId: ids.get(src.image.blob) ?? (ids.set(src.image.blob, `img-${ids.size}-${Date.now().toString(36)}`), ids.get(src.image.blob)!) } }
        : src;
    return { ...u, source: { past: u.source.past.map(fix), present: fix(u.source.present), future: u.source.future.map(fix) } };
  };
  const units = (old.units ?? []).map(withIds);
  const defaults = useStudio.getState();
  return {
    settings: {
      settings: old.settings ?? defaults.settings,
      tools: old.tools ?? defaults.tools,
      overlayOpacity: old.overlayOpacity ?? defaults.overlayOpacity,
      customSets: old.customSets ?? [],
      selectedUnitId: old.selectedUnitId ?? null,
      unitOrder: units.map((u) => u.id),
    },
    units,
    gallery: old.gallery ?? [],
  };
}

export const selectedUnit = (s: StudioState): Unit | null => s.units.find((u) => u.id === s.selectedUnitId) ?? null;
