// TAESD (madebyollin/taesd, "Tiny AutoEncoder for Stable Diffusion") as two graphs with
// diffusers' AutoencoderTiny names, in the VAE graphs' convention: the decoder takes the UNet's
// latents as they are (`latent_sample`, no 0.18215 factor: TAESD's scaling factor is 1) and
// returns `sample` in −1…1; the encoder takes `sample` in −1…1 and returns the latents.
// taesd.py's own convention is 0…1 images; the two differ only by x ↦ 2x − 1 at the edges.
// Kept in fp32: its 1.2 M parameters per half cost little, and its activations are unbounded.
import { conv2d, nearest2x } from './layers.ts';
import { ModelGraph } from './model-graph.ts';

export interface TaesdArch {
  /** Width of every block (64). */
  channels: number;
  latentChannels: number;
  /** Blocks per level: the encoder's from full resolution down, the decoder's from the latents up. */
  encoderBlocks: number[];
  decoderBlocks: number[];
}

/** madebyollin/taesd, as its taesd.py and diffusers' AutoencoderTiny default config build it. */
export const TAESD: TaesdArch = { channels: 64, latentChannels: 4, encoderBlocks: [1, 3, 3, 3], decoderBlocks: [3, 3, 3, 1] };

const relu = (g: ModelGraph, x: string) => g.op1('Relu', [x]);

/** AutoencoderTinyBlock `name`: relu(conv(relu(conv(relu(conv(x))))) + x); every width is the same, so the skip is identity. */
function block(g: ModelGraph, x: string, name: string, c: number): string {
  return g.scope(name, () => {
    let h = relu(g, conv2d(g, x, 'conv.0', c, c, 3));
    h = relu(g, conv2d(g, h, 'conv.2', c, c, 3));
    h = conv2d(g, h, 'conv.4', c, c, 3);
    return relu(g, g.op1('Add', [h, x]));
  });
}

export function buildTaesdEncoder(arch: TaesdArch = TAESD): ModelGraph {
  const g = new ModelGraph('taesd_encoder', 'float32');
  const c = arch.channels;
  const sample = g.input('sample', 'float32', ['batch', 3, 'height', 'width']);
  // AutoencoderTiny's encoder maps −1…1 to taesd.py's 0…1 first.
  let h = g.op1('Mul', [g.op1('Add', [sample, g.floatConst([1])]), g.floatConst([0.5])]);
  let layer = 0;
  g.scope('encoder.layers', () => {
    h = conv2d(g, h, `${layer++}`, 3, c, 3);
    arch.encoderBlocks.forEach((blocks, level) => {
      if (level > 0) h = conv2d(g, h, `${layer++}`, c, c, 3, { stride: 2, bias: false });
      for (let b = 0; b < blocks; b++) h = block(g, h, `${layer++}`, c);
    });
    h = conv2d(g, h, `${layer++}`, c, arch.latentChannels, 3);
  });
  g.output(h, 'latent_sample', 'float32', ['batch', arch.latentChannels, 'height/8', 'width/8']);
  return g;
}

export function buildTaesdDecoder(arch: TaesdArch = TAESD): ModelGraph {
  const g = new ModelGraph('taesd_decoder', 'float32');
  const c = arch.channels;
  const latents = g.input('latent_sample', 'float32', ['batch', arch.latentChannels, 'latent_height', 'latent_width']);
  // taesd.py's Clamp: tanh(x / 3) · 3, which keeps out-of-range latents from blowing up.
  let h = g.op1('Mul', [g.op1('Tanh', [g.op1('Div', [latents, g.floatConst([3])])]), g.floatConst([3])]);
  let layer = 0;
  g.scope('decoder.layers', () => {
    h = relu(g, conv2d(g, h, `${layer++}`, arch.latentChannels, c, 3));
    layer++; // the ReLU
    arch.decoderBlocks.forEach((blocks, level) => {
      for (let b = 0; b < blocks; b++) h = block(g, h, `${layer++}`, c);
      if (level < arch.decoderBlocks.length - 1) {
        h = nearest2x(g, h);
        layer++; // the Upsample
        h = conv2d(g, h, `${layer++}`, c, c, 3, { bias: false });
      }
    });
    h = conv2d(g, h, `${layer++}`, c, 3, 3);
  });
  // From taesd.py's 0…1 to the VAE's −1…1 (AutoencoderTiny's decode does the same).
  const sample = g.op1('Sub', [g.op1('Mul', [h, g.floatConst([2])]), g.floatConst([1])]);
  g.output(sample, 'sample', 'float32', ['batch', 3, 'height', 'width']);
  return g;
}
