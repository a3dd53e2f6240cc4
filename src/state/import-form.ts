// The "Import checkpoint" form as state: what was picked, the name it suggests, the precision
// that suits the device, the architecture overrides and LoRAs to bake — and the conversion it
// starts, which empties the pickers once it has succeeded.
import { create } from 'zustand';
import type { ImportFile } from '../engine/engine.ts';
import type { ConvertSource } from '../models/manifest.ts';
import { useEngineStore } from './engine-store.ts';
import { useModelSets, type ImportForm } from './model-sets.ts';

/** A name from a file name: "control_v11p_sd15_canny.pth" → "canny", "dreamshaper_8.safetensors" → "dreamshaper_8", a folder by its own name. */
export function nameFromFiles(files: ImportFile[]): string {
  const main = files.find((f) => /\.(safetensors|ckpt|pth|pt|bin)$/i.test(f.path)) ?? files[0];
  if (!main) return '';
  const parts = main.path.split('/');
  const base = (parts.length > 1 && !/^(unet|vae|text_encoder)$/.test(parts[0]!) ? parts[0]! : parts.at(-1)!).replace(/\.[^.]+$/, '').replace(/\.fp16$/, '');
  return /^control_v11\w*?_sd15_(\w+)$/.exec(base)?.[1] ?? base;
}

export interface ImportDraft {
  files: ImportFile[];
  name: string;
  repo: string;
  /** null: the device's default (fp16 where the GPU has shader-f16, else fp32). */
  precision: 'fp16' | 'fp32' | null;
  textHeads: string;
  unetHeads: string;
  /** Library LoRAs to bake in, by name, at their weights. */
  bake: Record<string, number>;
  /** Bumped when the pickers must show nothing again (after a finished import). */
  pickerKey: number;
}

const EMPTY: ImportDraft = { files: [], name: '', repo: '', precision: null, textHeads: '', unetHeads: '', bake: {}, pickerKey: 0 };

/** fp16 halves the size and runs fast where the GPU has shader-f16; elsewhere fp32 runs on the GPU and fp16 would not. */
export const chosenPrecision = (draft: ImportDraft, shaderF16: boolean) => draft.precision ?? (shaderF16 ? 'fp16' : 'fp32');

/** The form the conversion gets: the typed name, or one from the files or the repo; heads only where given. */
export function importForm(draft: ImportDraft, shaderF16: boolean): ImportForm {
  const heads = (v: string) => (v.trim() ? Number(v) : undefined);
  return {
    name: draft.name.trim() || nameFromFiles(draft.files) || draft.repo.split('/').pop() || 'model',
    precision: chosenPrecision(draft, shaderF16),
    overrides: { textHeads: heads(draft.textHeads), unetHeads: heads(draft.unetHeads) },
    bakeLoras: Object.entries(draft.bake).map(([lora, weight]) => ({ name: lora, unet: weight, text: weight })),
  };
}

interface ImportDraftState extends ImportDraft {
  edit(patch: Partial<Omit<ImportDraft, 'files' | 'pickerKey'>>): void;
  /** Files picked or dropped: the name follows them. */
  pick(files: ImportFile[]): void;
  /** Converts the picked files, or the repo; on success the pickers empty. Resolves whether it succeeded. */
  convert(from: 'files' | 'repo'): Promise<boolean>;
  /** Converts a model the manifest knows, with exactly its files, under its own name. */
  convertKnown(source: ConvertSource): Promise<boolean>;
}

export const useImportDraft = create<ImportDraftState>()((set, get) => ({
  ...EMPTY,
  edit: (patch) => set(patch),
  pick: (files) => set({ files, name: nameFromFiles(files) }),
  async convert(from) {
    const draft = get();
    const form = importForm(draft, !!useEngineStore.getState().device?.gpu?.shaderF16);
    const sets = useModelSets.getState();
    const done = await (from === 'files' ? sets.importFiles(draft.files, form) : sets.importRepo(draft.repo, form));
    if (done) set((s) => ({ files: [], pickerKey: s.pickerKey + 1 }));
    return !!done;
  },
  async convertKnown(source) {
    const form = importForm(get(), !!useEngineStore.getState().device?.gpu?.shaderF16);
    return !!(await useModelSets.getState().importRepo(source.repo, { ...form, name: source.name }, source.files));
  },
}));
