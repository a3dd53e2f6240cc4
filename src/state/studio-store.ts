// The studio's one zustand store: settings, units, gallery (persisted to IndexedDB) and the
// transient run state, combined from slices with the persist middleware applied once.
import { create } from 'zustand';
import { persist } from 'zustand/middleware';
import { createGallerySlice, createSettingsSlice, type GallerySlice, type SettingsSlice } from './gallery-slice.ts';
import { createRunSlice, type RunSlice } from './run-slice.ts';
import { createUnitsSlice, type UnitsSlice } from './units-slice.ts';
import { indexedDbStorage, type SaveState } from './persist-storage.ts';
import type { Settings } from './settings.ts';
import type { Unit } from './units.ts';

export type StudioState = SettingsSlice & UnitsSlice & GallerySlice & RunSlice;

type Persisted = Pick<StudioState, 'settings' | 'tools' | 'overlayOpacity' | 'customSets' | 'units' | 'selectedUnitId' | 'gallery'>;

/**
 * Whether the studio is saved. A store of its own: the persist middleware writes after every
 * change to the studio store, so keeping this there would make each save report trigger a save.
 */
export const useSaveState = create<{ save: SaveState }>()(() => ({ save: { kind: 'saved' } }));

export const studioStorage = indexedDbStorage<Persisted>((save) => {
  if (useSaveState.getState().save.kind !== save.kind || save.kind === 'failed') useSaveState.setState({ save });
});

export const useStudio = create<StudioState>()(
  persist(
    (...a) => ({
      ...createSettingsSlice(...a),
      ...createUnitsSlice(...a),
      ...createGallerySlice(...a),
      ...createRunSlice(...a),
    }),
    {
      name: 'studio',
      version: 1,
      storage: studioStorage,
      partialize: (s): Persisted => ({
        settings: s.settings,
        tools: s.tools,
        overlayOpacity: s.overlayOpacity,
        customSets: s.customSets,
        units: s.units,
        selectedUnitId: s.selectedUnitId,
        gallery: s.gallery,
      }),
    },
  ),
);

// Pages close without waiting for timers: write what is queued when the tab is hidden.
if (typeof window !== 'undefined') window.addEventListener('pagehide', () => void studioStorage.flush());

/** Bumps the input revision when anything a generation reads changes (drives live mode). */
useStudio.subscribe((s, prev) => {
  if (s.settings === prev.settings && s.units === prev.units) return;
  if (inputsOf(s.settings) === inputsOf(prev.settings) && s.units === prev.units) return;
  useStudio.setState({ inputRevision: s.inputRevision + 1 });
});

/** The settings a live run depends on (toggling live mode itself does not count). */
function inputsOf(settings: Settings): string {
  const { liveMode: _live, batchCount: _batch, ...rest } = settings;
  return JSON.stringify(rest);
}

export const selectedUnit = (s: StudioState): Unit | null => s.units.find((u) => u.id === s.selectedUnitId) ?? null;
