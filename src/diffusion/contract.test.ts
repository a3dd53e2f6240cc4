// The model contract against the variants real exports show, and the errors for what doesn't fit.
import { describe, expect, it } from 'vitest';
import { checkControlNet, checkTextEncoder, checkUnet, checkVaeDecoder, timestepFeed } from './contract.ts';
import { ModelContractError } from './errors.ts';
import type { ValueMeta } from './tensor.ts';

const m = (name: string, type: string, shape: (number | string)[]): ValueMeta => ({ name, type, shape });
const base = (ts: ValueMeta = m('timestep', 'int64', [1]), type = 'float32') => [m('sample', type, ['b', 4, 'h', 'w']), ts, m('encoder_hidden_states', type, ['b', 77, 768])];
const residualInputs = (name: (i: number) => string, type = 'float32') => [
  ...Array.from({ length: 12 }, (_, i) => m(name(i), type, ['b', 320, 'h', 'w'])),
  m('mid_block_additional_residual', type, ['b', 1280, 'h', 'w']),
];
const out = [m('out_sample', 'float32', ['b', 4, 'h', 'w'])];

describe('model contract', () => {
  it('accepts timestep as int64, float32 or float16, shaped [1], [batch] or scalar', () => {
    for (const [type, shape, want] of [
      ['int64', [1], 'one'],
      ['float32', [], 'scalar'],
      ['float16', ['batch'], 'batch'],
    ] as const) {
      const c = checkUnet('unet/model.onnx', base(m('timestep', type, [...shape])), out);
      expect(c.timestep).toEqual({ name: 'timestep', type, shape: want });
    }
    expect(timestepFeed({ name: 't', type: 'float16', shape: 'batch' }, 999, 2)).toMatchObject({ type: 'float16', dims: [2] });
    expect(timestepFeed({ name: 't', type: 'int64', shape: 'scalar' }, 999, 2)).toMatchObject({ dims: [] });
  });

  it('orders named residual inputs by index, whatever the order of the graph', () => {
    const shuffled = residualInputs((i) => `down_block_additional_residual_${i}`).reverse();
    const c = checkUnet('unet/model.onnx', [...base(), ...shuffled], out);
    expect(c.residuals).toEqual([...Array.from({ length: 12 }, (_, i) => `down_block_additional_residual_${i}`), 'mid_block_additional_residual']);
    const short = checkUnet('unet/model.onnx', [...base(), ...residualInputs((i) => `down_block_${i}`)], out);
    expect(short.residuals![11]).toBe('down_block_11');
    const unnamed = checkUnet('unet/model.onnx', [...base(), ...residualInputs((i) => `input.${100 + i}`)], out);
    expect(unnamed.residuals![0]).toBe('input.100');
  });

  it('accepts fp16 graphs and a plain UNet without residual inputs', () => {
    expect(checkUnet('unet/model.onnx', base(undefined, 'float16'), out).dtype).toBe('float16');
    expect(checkUnet('unet/model.onnx', base(), out).residuals).toBeNull();
  });

  it('maps ControlNet outputs by name or position, with or without conditioning_scale', () => {
    const inputs = [...base(), m('controlnet_cond', 'float32', ['b', 3, 'H', 'W'])];
    const named = Array.from({ length: 12 }, (_, i) => m(`down_block_res_samples_${i}`, 'float32', [])).concat(m('mid_block_res_sample', 'float32', []));
    const c = checkControlNet('controlnet/canny/model.onnx', inputs, [...named].reverse());
    expect(c.scale).toBeNull();
    expect(c.outputs[0]).toBe('down_block_res_samples_0');
    expect(c.outputs[12]).toBe('mid_block_res_sample');
    const numbered = Array.from({ length: 13 }, (_, i) => m(`${1000 + i}`, 'float32', []));
    const d = checkControlNet('controlnet/canny/model.onnx', [...inputs, m('conditioning_scale', 'float32', [])], numbered);
    expect(d.scale).toBe('conditioning_scale');
    expect(d.outputs).toEqual(numbered.map((o) => o.name));
  });

  it('accepts int32 or int64 token ids', () => {
    expect(checkTextEncoder('t.onnx', [m('input_ids', 'int64', ['b', 77])], [m('last_hidden_state', 'float32', ['b', 77, 768])]).idsType).toBe('int64');
  });

  it('refuses a UNet in the VAE slot, naming the file, the expected and the found signature', () => {
    const unetInputs = [...base(), ...residualInputs((i) => `down_block_additional_residual_${i}`)];
    let err: unknown;
    try {
      checkVaeDecoder('vae_decoder/model.onnx', unetInputs, out);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ModelContractError);
    const msg = (err as Error).message;
    expect(msg).toContain('vae_decoder/model.onnx does not fit the vae_decoder slot');
    expect(msg).toContain('Expected (latent_sample: float[batch, 4, h, w])');
    expect(msg).toContain('found (sample: float32[b, 4, h, w], timestep: int64[1]');
  });

  it('refuses a UNet with a stray extra input, and a timestep of the wrong shape', () => {
    expect(() => checkUnet('u.onnx', [...base(), m('extra', 'float32', [1])], out)).toThrow(/1 extra inputs/);
    expect(() => checkUnet('u.onnx', base(m('timestep', 'int64', [1, 2])), out)).toThrow(/timestep has shape \[1, 2\]/);
  });
});
