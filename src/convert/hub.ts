// Which files of a Hugging Face diffusers repo a conversion needs: the configs, the weights of
// the text encoder, UNet and VAE (the fp16 variant where the repo has one: half the download,
// the same numbers once cast), the tokenizer and the scheduler — or, for a ControlNet repo,
// its config and weights. Nothing else (no safety checker, no .bin duplicates) is fetched.
import type { RemoteFile } from '../models/download/downloader.ts';
import { resolveSetUrl } from '../models/manifest.ts';
import { CheckpointError } from './errors.ts';

/** A repo's folder name in the download store. */
export const repoSlug = (repo: string) => repo.replace(/[^\w.-]+/g, '_');

const WEIGHTS: Record<string, string[]> = {
  // Tried in order: the fp16 variant first.
  text_encoder: ['model.fp16.safetensors', 'model.safetensors'],
  unet: ['diffusion_pytorch_model.fp16.safetensors', 'diffusion_pytorch_model.safetensors'],
  vae: ['diffusion_pytorch_model.fp16.safetensors', 'diffusion_pytorch_model.safetensors'],
  controlnet: ['diffusion_pytorch_model.fp16.safetensors', 'diffusion_pytorch_model.safetensors'],
};
const PIPELINE_EXTRAS = ['model_index.json', 'unet/config.json', 'vae/config.json', 'text_encoder/config.json', 'tokenizer/vocab.json', 'tokenizer/merges.txt', 'scheduler/scheduler_config.json'];

async function exists(url: string, fetchImpl: typeof fetch, signal?: AbortSignal): Promise<{ ok: boolean; size: number | null }> {
  try {
    const res = await fetchImpl(url, { method: 'HEAD', signal });
    return { ok: res.ok, size: Number(res.headers.get('content-length')) || null };
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new CheckpointError(`Could not reach ${url}: ${(err as Error).message}. Check the connection.`);
  }
}

/** The files a manifest entry lists for `repo`, as downloads (no probing). */
export function knownRepoFiles(repo: string, paths: string[]): RemoteFile[] {
  const base = resolveSetUrl(repo);
  return paths.map((path) => ({ url: `${base}/${path}`, path: `${repoSlug(repo)}/${path}`, size: null, sha256: null }));
}

/** The files to fetch for `repo` ("owner/name", "owner/name@revision" or a base URL), stored under repoSlug(repo)/. */
export async function hubFiles(repo: string, fetchImpl: typeof fetch = fetch, signal?: AbortSignal): Promise<RemoteFile[]> {
  const base = resolveSetUrl(repo);
  const slug = repoSlug(repo);
  const file = (path: string, size: number | null = null): RemoteFile => ({ url: `${base}/${path}`, path: `${slug}/${path}`, size, sha256: null });
  const weights = async (folder: string, kind: keyof typeof WEIGHTS) => {
    for (const name of WEIGHTS[kind]!) {
      const path = folder ? `${folder}/${name}` : name;
      const found = await exists(`${base}/${path}`, fetchImpl, signal);
      if (found.ok) return file(path, found.size);
    }
    throw new CheckpointError(`${repo} has no ${folder ? `${folder}/` : ''}${WEIGHTS[kind]!.at(-1)} (nor its fp16 variant): only .safetensors weights are fetched.`);
  };
  if ((await exists(`${base}/model_index.json`, fetchImpl, signal)).ok) {
    return [...PIPELINE_EXTRAS.map((p) => file(p)), await weights('text_encoder', 'text_encoder'), await weights('unet', 'unet'), await weights('vae', 'vae')];
  }
  if ((await exists(`${base}/config.json`, fetchImpl, signal)).ok) return [file('config.json'), await weights('', 'controlnet')];
  throw new CheckpointError(`${repo} is neither a diffusers pipeline (model_index.json) nor a ControlNet repo (config.json). Check the repo id.`);
}
