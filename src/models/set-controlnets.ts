// A set's ControlNets: those our `controlnet_studio` entry names, and every
// `controlnet/<name>/model.onnx` in the folder, found by listing it where the source can list
// (a folder on disk, a picked folder, the browser's storage, a server's directory listing or
// the Hugging Face hub's file tree). So a diffusers-layout export works without our entry.
import type { ModelIndex, SetSource } from './set-source.ts';

export async function findControlNets(index: ModelIndex, source: SetSource): Promise<string[]> {
  const named = index.controlnet_studio?.controlnets ?? [];
  const listed = source.list ? await source.list('controlnet').catch(() => []) : [];
  const found: string[] = [];
  for (const name of listed.map((n) => n.replace(/\/$/, '')).sort()) {
    if (name && !named.includes(name) && !found.includes(name) && (await source.has(`controlnet/${name}/model.onnx`))) found.push(name);
  }
  return [...named, ...found];
}
