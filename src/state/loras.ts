// The LoRA library as the studio uses it: which LoRAs a generation runs with (the prompt's
// <lora:name:…> tags, plus the library LoRAs the person switched on, at their weights), the
// prompt without its tags for the text encoder, and A1111's "Lora hashes" for the PNG; and the
// library's actions — import a file or a Hugging Face repo, delete, and "Use LCM-LoRA", which
// fetches the published LCM-LoRA once, stores it and switches live mode onto it.
import { create } from 'zustand';
import { extractLoraTags, PromptTagError } from '../diffusion/extra-networks.ts';
import type { ImportFile, LoraRequest, Progress } from '../engine/engine.ts';
import { CancelledError } from '../engine/errors.ts';
import { LCM_LORA } from '../models/manifest.ts';
import type { StoredLoraInfo } from '../models/set-layout.ts';
import { useEngineStore } from './engine-store.ts';
import { useModelSets, type Message, type Transfer } from './model-sets.ts';
import type { LoraChoice } from './settings.ts';
import { useStudio } from './studio-store.ts';
import { InputProblem } from './units.ts';

export interface GenerationLoras {
  /** The prompt the text encoder sees: the typed one without its LoRA tags. */
  prompt: string;
  loras: LoraRequest[];
  /** Name and first 12 hex digits of each applied file's sha256, as A1111 writes "Lora hashes". */
  hashes: { name: string; hash: string }[];
}

/** The LoRAs a generation runs with: the prompt's tags, then the switched-on library LoRAs the prompt does not name. */
export function generationLoras(typed: string, choices: Record<string, LoraChoice>, library: StoredLoraInfo[]): GenerationLoras {
  let tagged: ReturnType<typeof extractLoraTags>;
  try {
    tagged = extractLoraTags(typed);
  } catch (err) {
    if (err instanceof PromptTagError) throw new InputProblem(`Not generating: ${err.message}`);
    throw err;
  }
  const missing = tagged.loras.filter((t) => !library.some((l) => l.name === t.name)).map((t) => t.name);
  if (missing.length)
    throw new InputProblem(
      `Not generating: the prompt names LoRA ${missing.join(', ')}, which ${missing.length > 1 ? 'are' : 'is'} not in the LoRA library (${library.map((l) => l.name).join(', ') || 'it is empty'}). Import it in the model manager, or fix the name.`,
    );
  const chosen = library
    .filter((l) => choices[l.name]?.enabled && !tagged.loras.some((t) => t.name === l.name))
    .map((l) => ({ name: l.name, unet: choices[l.name]!.weight, text: choices[l.name]!.weight }));
  const loras = [...tagged.loras, ...chosen];
  const names = [...new Set(loras.map((l) => l.name))];
  return { prompt: tagged.prompt, loras, hashes: names.map((name) => ({ name, hash: library.find((l) => l.name === name)!.sha256.slice(0, 12) })) };
}

interface LoraLibraryState {
  busy: string | null;
  transfer: Transfer | null;
  message: Message | null;
  importFiles(files: ImportFile[], form: { name?: string; lcm: boolean }): Promise<StoredLoraInfo | null>;
  importRepo(repo: string, form: { lcm: boolean; name?: string }, files?: string[]): Promise<StoredLoraInfo | null>;
  cancel(): void;
  remove(name: string): Promise<void>;
  choose(name: string, patch: Partial<LoraChoice>): void;
  /** Live mode's "Use LCM-LoRA": the library's LCM-LoRA (fetched and stored first if there is none), switched on for live mode. */
  useLcmLora(): Promise<void>;
}

let abort: AbortController | null = null;
const engine = () => useEngineStore.getState().engine;
const text = (err: unknown) => (err instanceof Error ? err.message : String(err));

export const useLoraLibrary = create<LoraLibraryState>()((set, get) => {
  const job = async (label: string, work: (signal: AbortSignal, onProgress: (p: Progress) => void) => Promise<StoredLoraInfo>): Promise<StoredLoraInfo | null> => {
    if (get().busy) return null;
    abort = new AbortController();
    set({ busy: label, transfer: null, message: null });
    try {
      const info = await work(abort.signal, (p) =>
        set({ transfer: { done: p.done, total: p.total, bytesPerSecond: p.bytesPerSecond ?? 0, etaSeconds: p.etaSeconds ?? null, file: p.file ?? '', stage: p.stage } }),
      );
      // Shown once stored and listed.
      await useModelSets.getState().refreshStored();
      set({
        busy: null,
        transfer: null,
        message: {
          kind: 'info',
          text: `Added LoRA "${info.name}" (${info.layers.unet} UNet and ${info.layers.text} text-encoder layers${info.lcm ? ', LCM' : ''}). Use it with <lora:${info.name}:1> in the prompt, or switch it on here.`,
        },
      });
      return info;
    } catch (err) {
      set({
        busy: null,
        transfer: null,
        message: { kind: err instanceof CancelledError ? 'info' : 'error', text: err instanceof CancelledError ? 'Import cancelled; nothing was kept.' : `LoRA import failed: ${text(err)}` },
      });
      return null;
    } finally {
      abort = null;
    }
  };
  return {
    busy: null,
    transfer: null,
    message: null,
    importFiles: (files, form) => job('Importing LoRA', (signal, onProgress) => engine().importLora({ input: { kind: 'files', files }, name: form.name, lcm: form.lcm }, { signal, onProgress })),
    importRepo: (repo, form, files) =>
      job('Downloading LoRA', (signal, onProgress) => engine().importLora({ input: { kind: 'hub', repo: repo.trim(), files }, name: form.name, lcm: form.lcm }, { signal, onProgress })),
    cancel: () => abort?.abort(),
    async remove(name) {
      await engine().deleteLora(name);
      await useModelSets.getState().refreshStored();
    },
    choose(name, patch) {
      const { settings, setSettings } = useStudio.getState();
      const now = settings.loras[name] ?? { enabled: false, weight: 1 };
      setSettings({ loras: { ...settings.loras, [name]: { ...now, ...patch } } });
    },
    async useLcmLora() {
      const has = useModelSets.getState().stored.loras.some((l) => l.lcm);
      if (!has && !(await get().importRepo(LCM_LORA.repo, { lcm: true, name: LCM_LORA.name }, LCM_LORA.files))) return;
      const { settings, setSettings } = useStudio.getState();
      setSettings({ live: { ...settings.live, lcmLora: true, recipe: 'lcm' } });
    },
  };
});
