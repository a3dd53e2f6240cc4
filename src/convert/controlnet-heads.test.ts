// A ControlNet's attention heads are not in its weights: SD 1.5's own layout reads as 8 heads
// without a .yaml (as every released SD 1.5 ControlNet has), another layout takes the paired
// set's heads, and with neither the import asks.
import { describe, expect, it } from 'vitest';
import { unetArchFromShapes } from './infer-arch.ts';
import type { StoredTensor, TensorMap } from './stored-tensor.ts';

/** Shapes only (no bytes are read): a control_model. encoder with these widths, 2 ResNets per level, attention on all but the last. */
function controlNetShapes(widths: number[], projection: 'conv' | 'linear', context: number): TensorMap {
  const map: TensorMap = new Map();
  const put = (key: string, shape: number[]) => map.set(`control_model.${key}`, { key, file: 'cn', dtype: 'float16', shape, bytes: async () => new Uint8Array() } as StoredTensor);
  put('input_blocks.0.0.weight', [widths[0]!, 4, 3, 3]);
  widths.forEach((w, level) => {
    for (let j = 0; j < 2; j++) {
      const block = 1 + level * 3 + j;
      put(`input_blocks.${block}.0.out_layers.3.weight`, [w, w, 3, 3]);
      if (level < widths.length - 1) {
        put(`input_blocks.${block}.1.proj_in.weight`, projection === 'conv' ? [w, w, 1, 1] : [w, w]);
        put(`input_blocks.${block}.1.transformer_blocks.0.attn2.to_k.weight`, [w, context]);
      }
    }
    if (level < widths.length - 1) put(`input_blocks.${3 + level * 3}.0.op.weight`, [w, w, 3, 3]);
  });
  return map;
}

describe('ControlNet heads', () => {
  it('SD 1.5’s layout (1×1-conv projections, 320…1280, 768-wide text) is 8 heads without a .yaml', () => {
    const arch = unetArchFromShapes(controlNetShapes([320, 640, 1280, 1280], 'conv', 768), 'control_model.', 'control_v11p_sd15_canny.pth', {}, null, true);
    expect(arch.heads).toEqual([8, 8, 8, 8]);
  });

  it('another layout takes the paired set’s heads where the widths match, and is asked for otherwise', () => {
    const shapes = controlNetShapes([320, 640, 1280, 1280], 'linear', 1024);
    const paired = { block_channels: [320, 640, 1280, 1280], layers_per_block: 2, context_dim: 1024, heads: [5, 10, 20, 20] };
    expect(unetArchFromShapes(shapes, 'control_model.', 'cn.pth', { paired }, null, true).heads).toEqual([5, 10, 20, 20]);
    expect(() => unetArchFromShapes(shapes, 'control_model.', 'cn.pth', { paired: { ...paired, block_channels: [32, 32, 32, 64] } }, null, true)).toThrow(
      /cn\.pth is a ControlNet whose attention head count its weights do not say \(widths 320\/640\/1280\/1280, linear projections\).*give "UNet heads"/,
    );
    expect(unetArchFromShapes(shapes, 'control_model.', 'cn.pth', { unetHeads: 16 }, null, true).heads).toEqual([16, 16, 16, 16]);
  });
});
