// The gallery at the bottom. Each image is a record of its own, written before the gallery
// shows it (a tab can close at any moment), and deleted from storage before it leaves the list.
import type { StateCreator } from 'zustand';
import { initHistory } from '../canvas/history.ts';
import { DEFAULT_SETTINGS, type GalleryItem } from './settings.ts';
import { studioRecords } from './studio-records.ts';
import type { StudioState } from './studio-store.ts';

export interface GallerySlice {
  gallery: GalleryItem[];
  /** Stores the image, then shows it; rejects (and shows nothing) when it cannot be stored. */
  addToGallery(item: GalleryItem): Promise<void>;
  deleteFromGallery(id: string): Promise<void>;
  /** Restores the prompt, settings and units an image was made with. */
  useSettingsOf(id: string): void;
}

export const createGallerySlice: StateCreator<StudioState, [], [], GallerySlice> = (set, get) => ({
  gallery: [],
  async addToGallery(item) {
    await studioRecords.put('gallery', item.id, item);
    set((s) => ({ gallery: [item, ...s.gallery] }));
  },
  async deleteFromGallery(id) {
    await studioRecords.remove('gallery', id);
    set((s) => ({ gallery: s.gallery.filter((g) => g.id !== id) }));
  },
  useSettingsOf(id) {
    const item = get().gallery.find((g) => g.id === id);
    if (!item) return;
    // Restored units start a fresh undo history from the source they had.
    const units = item.units.map((u) => ({ ...u, source: initHistory(u.source.present) }));
    set((s) => ({ settings: { ...DEFAULT_SETTINGS, ...item.settings, liveMode: s.settings.liveMode }, units, selectedUnitId: units[0]?.id ?? null }));
  },
});
