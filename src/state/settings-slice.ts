// The settings on the left (and the canvas tools, the overlay, the sets added by address):
// plain values, kept in the settings record.
import type { StateCreator } from 'zustand';
import type { ToolSettings } from '../canvas/tools.ts';
import type { RemoteSet } from '../models/manifest.ts';
import { DEFAULT_SETTINGS, type Settings } from './settings.ts';
import type { StudioState } from './studio-store.ts';

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
