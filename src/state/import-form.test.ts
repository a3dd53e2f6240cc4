// The import form's suggestions, worked by hand: the name a picked file or folder gives, the
// precision that suits the device, and the overrides only where a person typed them.
import { describe, expect, it } from 'vitest';
import { chosenPrecision, importForm, nameFromFiles, type ImportDraft } from './import-form.ts';

const file = (path: string) => ({ path, file: new Blob([]) });
const draft = (patch: Partial<ImportDraft> = {}): ImportDraft => ({ files: [], name: '', repo: '', precision: null, textHeads: '', unetHeads: '', bake: {}, pickerKey: 0, ...patch });

describe('the import form', () => {
  it('names a ControlNet v1.1 file by its kind, a checkpoint by its file name, a folder by its own name', () => {
    expect(nameFromFiles([file('control_v11p_sd15_canny.pth'), file('control_v11p_sd15_canny.yaml')])).toBe('canny');
    expect(nameFromFiles([file('control_v11f1p_sd15_depth.fp16.safetensors')])).toBe('depth');
    expect(nameFromFiles([file('v1-inference.yaml'), file('dreamshaper_8.safetensors')])).toBe('dreamshaper_8');
    expect(nameFromFiles([file('my-model/model_index.json'), file('my-model/unet/diffusion_pytorch_model.safetensors')])).toBe('my-model');
    // A diffusers component folder picked alone is named by its file, not "unet".
    expect(nameFromFiles([file('unet/diffusion_pytorch_model.fp16.safetensors')])).toBe('diffusion_pytorch_model');
    expect(nameFromFiles([])).toBe('');
  });

  it('picks fp16 only where the GPU has shader-f16, unless the person chose', () => {
    expect(chosenPrecision(draft(), true)).toBe('fp16');
    expect(chosenPrecision(draft(), false)).toBe('fp32');
    expect(chosenPrecision(draft({ precision: 'fp16' }), false)).toBe('fp16');
  });

  it('takes the typed name, else the files’, else the repo’s; heads only where typed; baked LoRAs at their weights', () => {
    expect(importForm(draft({ name: '  mine ', files: [file('x.safetensors')] }), true).name).toBe('mine');
    expect(importForm(draft({ files: [file('x.safetensors')] }), true).name).toBe('x');
    expect(importForm(draft({ repo: 'owner/some-model' }), true).name).toBe('some-model');
    expect(importForm(draft({ textHeads: '2', unetHeads: ' ' }), false)).toEqual({ name: 'model', precision: 'fp32', overrides: { textHeads: 2, unetHeads: undefined }, bakeLoras: [] });
    expect(importForm(draft({ bake: { detail: 0.6 } }), false).bakeLoras).toEqual([{ name: 'detail', unet: 0.6, text: 0.6 }]);
  });
});
