import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinySetWithExternalUnet } from '../test/external-data-set.ts';
import { startModelServer, type ModelServer } from '../test/model-server.ts';
import { MANIFEST_SETS, resolveRemoteSet, resolveSetUrl, setIdFor } from './manifest.ts';

describe('resolveSetUrl', () => {
  it('turns a Hugging Face repo id into its resolve URL', () => {
    expect(resolveSetUrl('someone/sd15-controlnet-onnx')).toBe('https://huggingface.co/someone/sd15-controlnet-onnx/resolve/main');
    expect(resolveSetUrl(' someone/set@fp16 ')).toBe('https://huggingface.co/someone/set/resolve/fp16');
  });
  it('keeps URLs, without trailing slashes', () => {
    expect(resolveSetUrl('http://127.0.0.1:8000/sets/tiny/')).toBe('http://127.0.0.1:8000/sets/tiny');
  });
  it('refuses anything else clearly', () => {
    expect(() => resolveSetUrl('not a set')).toThrow(/neither a Hugging Face repo id/);
  });
});

describe('resolveRemoteSet', () => {
  let server: ModelServer;
  beforeAll(async () => {
    // The tiny set, with its UNet's weights in unet/model.onnx_data (as exports over 2 GB are).
    server = await startModelServer(tinySetWithExternalUnet());
  });
  afterAll(() => server.close());

  it('lists the files model_index.json names plus external data found beside a graph', async () => {
    const set = await resolveRemoteSet(server.url);
    expect(set.id).toBe(setIdFor(server.url));
    const paths = set.files.map((f) => f.path.slice(set.id.length + 1));
    expect(paths).toEqual([
      'model_index.json',
      'scheduler/scheduler_config.json',
      'tokenizer/vocab.json',
      'tokenizer/merges.txt',
      'text_encoder/model.onnx',
      'unet/model.onnx',
      'vae_decoder/model.onnx',
      'vae_encoder/model.onnx',
      'unet/model_fp16.onnx',
      'controlnet/canny/model.onnx',
      'controlnet/scribble/model.onnx',
      'controlnet/zero-init/model.onnx',
      'controlnet/inpaint/model.onnx',
      'taesd_decoder/model.onnx',
      'taesd_encoder/model.onnx',
      'unet/model.onnx_data',
    ]);
    expect(set.files.at(-1)!.size).toBeGreaterThan(1_000_000);
    expect(set.files.every((f) => f.url.startsWith(server.url))).toBe(true);
  });

  it('says clearly when the address holds no model set', async () => {
    await expect(resolveRemoteSet(`${server.url}/unet`)).rejects.toThrow(/does not look like a model set.*model_index.json at its top/);
  });

  it('the manifest names every set the studio needs, with unknown hashes left null', () => {
    const ids = MANIFEST_SETS.map((s) => s.id);
    for (const id of [
      'tiny-sd15',
      'sd15-fp16-controlnet',
      'controlnet-canny',
      'controlnet-scribble',
      'controlnet-mlsd',
      'controlnet-depth',
      'controlnet-normal',
      'controlnet-openpose',
      'controlnet-seg',
      'depth-anything-v2-small',
      'segformer-b0-ade',
      'dwpose-ll-ucoco-384',
      'taesd',
    ])
      expect(ids).toContain(id);
  });
});
