// Settings on the left and the gallery at the bottom: plain values, persisted.
import type { StateCreator } from 'zustand';
import type { ToolSettings } from '../canvas/tools.ts';
import { DEFAULT_SETTINGS, type GalleryItem, type Settings } from './settings.ts';
import { initHistory } from '../canvas/history.ts';
import type { StudioState } from './studio-store.ts';
import type { RemoteSet } from '../models/manifest.ts';

export interface SettingsSlice {
  settings: Settings;
  tools: ToolSettings;
  overlayOpacity: number;
  setSettings(patch: Partial<Settings>): void;
  setTools(patch: Partial<ToolSettings>): void;
  setOverlayOpacity(v: number): void;
  /** Sets the person added by address, with the files their model_index.json names. */
  customSets: RemoteSet[];
  addCustomSet(set: RemoteSet): void;
  removeCustomSet(id: string): void;
}

export interface GallerySlice {
  gallery: GalleryItem[];
  addToGallery(item: GalleryItem): void;
  deleteFromGallery(id: string): void;
  /** Restores the prompt, settings and units an image was made with. */
  useSettingsOf(id: string): void;
}

export const createSettingsSlice: StateCreator<StudioState, [], [], SettingsSlice> = (set) => ({
  settings: DEFAULT_SETTINGS,
  tools: { tool: 'brush', size: 6, color: 'black' },
  overlayOpacity: 0.5,
  setSettings: (patch) => set((s) => ({ settings: { ...s.settings, ...patch } })),
  setTools: (patch) => set((s) => ({ tools: { ...s.tools, ...patch } })),
  setOverlayOpacity: (overlayOpacity) => set({ overlayOpacity }),
  customSets: [],
  addCustomSet: (added) => set((s) => ({ customSets: [...s.customSets.filter((c) => c.id !== added.id), added] })),
  removeCustomSet: (id) => set((s) => ({ customSets: s.customSets.filter((c) => c.id !== id) })),
});

export const createGallerySlice: StateCreator<StudioState, [], [], GallerySlice> = (set, get) => ({
  gallery: [],
  addToGallery: (item) => set((s) => ({ gallery: [item, ...s.gallery] })),
  deleteFromGallery: (id) => set((s) => ({ gallery: s.gallery.filter((g) => g.id !== id) })),
  useSettingsOf(id) {
    const item = get().gallery.find((g) => g.id === id);
    if (!item) return;
    // Restored units start a fresh undo history from the source they had.
    const units = item.units.map((u) => ({ ...u, source: initHistory(u.source.present) }));
    set((s) => ({ settings: { ...item.settings, liveMode: s.settings.liveMode }, units, selectedUnitId: units[0]?.id ?? null }));
  },
});
