// The units panel and the canvas edit units through these actions. Each says whether it
// enters undo history: source edits (strokes, clear, image placement) do; settings don't.
import type { StateCreator } from 'zustand';
import { commit, redo, undo } from '../canvas/history.ts';
import type { Stroke } from '../canvas/strokes.ts';
import { addMaskStroke, clearMask, extendSource, invertMask, type Side } from '../canvas/mask.ts';
import { snapSize } from './settings.ts';
import type { Skeleton } from '../preprocess/pose.ts';
import { newUnit, pickModel, type PlacedImage, type Unit, type UnitSource } from './units.ts';
import type { StudioState } from './studio-store.ts';

export interface UnitsSlice {
  units: Unit[];
  /** The unit whose source the canvas shows. */
  selectedUnitId: string | null;
  addUnit(models: readonly string[]): void;
  removeUnit(id: string): void;
  moveUnit(id: string, delta: -1 | 1): void;
  selectUnit(id: string): void;
  /** Settings only (no undo step): preprocessor, model, weights, modes. */
  updateUnit(id: string, patch: Partial<Omit<Unit, 'id' | 'source'>>): void;
  /** Undoable source edits. */
  addStroke(id: string, stroke: Stroke): void;
  clearSource(id: string): void;
  placeImage(id: string, image: PlacedImage): void;
  moveImage(id: string, placement: Pick<PlacedImage, 'x' | 'y' | 'scale'>): void;
  /** Undoable mask edits: a mask stroke (painted or erased), invert, clear. */
  addMaskStroke(id: string, stroke: Stroke): void;
  invertMask(id: string): void;
  clearMask(id: string): void;
  /** Outpainting: the canvas grows by `px` on `side`, the new strip masked; the generation size follows the canvas. */
  outpaint(id: string, side: Side, px: number): void;
  undo(id: string): void;
  redo(id: string): void;
  setPose(id: string, pose: Skeleton[] | null): void;
  /** Keeps units' default models in step with the loaded set. */
  adoptModels(models: readonly string[]): void;
}

export const createUnitsSlice: StateCreator<StudioState, [], [], UnitsSlice> = (set, get) => {
  const mapUnit = (id: string, f: (u: Unit) => Unit) => set((s) => ({ units: s.units.map((u) => (u.id === id ? f(u) : u)) }));
  const editSource = (id: string, f: (src: UnitSource) => UnitSource) => mapUnit(id, (u) => ({ ...u, source: commit(u.source, f(u.source.present)) }));
  return {
    units: [],
    selectedUnitId: null,
    addUnit(models) {
      const { width, height } = get().settings;
      const unit = newUnit(width, height, models);
      set((s) => ({ units: [...s.units, unit], selectedUnitId: unit.id }));
    },
    removeUnit(id) {
      set((s) => {
        const units = s.units.filter((u) => u.id !== id);
        return { units, selectedUnitId: s.selectedUnitId === id ? (units[0]?.id ?? null) : s.selectedUnitId };
      });
    },
    moveUnit(id, delta) {
      set((s) => {
        const i = s.units.findIndex((u) => u.id === id);
        const j = i + delta;
        if (i < 0 || j < 0 || j >= s.units.length) return {};
        const units = [...s.units];
        [units[i], units[j]] = [units[j]!, units[i]!];
        return { units };
      });
    },
    selectUnit: (id) => set({ selectedUnitId: id }),
    updateUnit: (id, patch) => mapUnit(id, (u) => ({ ...u, ...patch })),
    addStroke: (id, stroke) => editSource(id, (src) => ({ ...src, strokes: [...src.strokes, stroke] })),
    clearSource: (id) => {
      const { width, height } = get().settings;
      editSource(id, () => ({ width, height, image: null, strokes: [] }));
      mapUnit(id, (u) => ({ ...u, pose: null }));
    },
    // An image makes the canvas its size (the canvas is the image, as in A1111); strokes start over.
    placeImage: (id, image) => {
      editSource(id, () => ({ width: image.width, height: image.height, image, strokes: [] }));
      mapUnit(id, (u) => ({ ...u, pose: null }));
    },
    addMaskStroke: (id, stroke) => editSource(id, (src) => addMaskStroke(src, stroke)),
    invertMask: (id) => editSource(id, invertMask),
    clearMask: (id) => editSource(id, clearMask),
    outpaint(id, side, px) {
      editSource(id, (src) => extendSource(src, side, px));
      const src = get().units.find((u) => u.id === id)?.source.present;
      // As A1111's outpainting: the picture is generated at its new size (to the nearest 64).
      if (src) get().setSettings({ width: snapSize(src.width), height: snapSize(src.height) });
    },
    moveImage: (id, placement) => editSource(id, (src) => (src.image ? { ...src, image: { ...src.image, ...placement } } : src)),
    undo: (id) => mapUnit(id, (u) => ({ ...u, source: undo(u.source) })),
    redo: (id) => mapUnit(id, (u) => ({ ...u, source: redo(u.source) })),
    setPose: (id, pose) => mapUnit(id, (u) => ({ ...u, pose })),
    adoptModels(models) {
      set((s) => ({ units: s.units.map((u) => (models.includes(u.model) ? u : { ...u, model: pickModel(u.preprocessor, models, u.model) })) }));
    },
  };
};
