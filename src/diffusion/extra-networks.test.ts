// A1111's <lora:…> tags, as modules/extra_networks.py and extra_networks_lora.py read them.
import { describe, expect, it } from 'vitest';
import { extractLoraTags } from './extra-networks.ts';

describe('LoRA tags in a prompt', () => {
  it('are taken out of the text (replaced by nothing) and read as te then unet, unet defaulting to te', () => {
    expect(extractLoraTags('a cat <lora:detail:0.8>, best quality<lora:style>')).toEqual({
      prompt: 'a cat , best quality',
      loras: [
        { name: 'detail', text: 0.8, unet: 0.8 },
        { name: 'style', text: 1, unet: 1 },
      ],
    });
    expect(extractLoraTags('<lora:a:0.5:1.2>').loras).toEqual([{ name: 'a', text: 0.5, unet: 1.2 }]);
    expect(extractLoraTags('<lora:a:unet=0.3>').loras).toEqual([{ name: 'a', text: 1, unet: 0.3 }]);
    expect(extractLoraTags('<lora:a:0.5:te=0.1>').loras).toEqual([{ name: 'a', text: 0.1, unet: 0.1 }]);
    // LyCORIS's old tag is read as a LoRA too; other angle-bracket text stays.
    expect(extractLoraTags('<lyco:b:0.4> <not a tag> <x>')).toEqual({ prompt: ' <not a tag> <x>', loras: [{ name: 'b', text: 0.4, unet: 0.4 }] });
  });

  it('are refused, in words, where they cannot be applied as written', () => {
    expect(() => extractLoraTags('<lora:a:lots>')).toThrow(/"lots" is not a number/);
    expect(() => extractLoraTags('<lora:a:1:dyn=8>')).toThrow(/sets dyn, which the studio does not support/);
    expect(() => extractLoraTags('<hypernet:h:1>')).toThrow(/hypernetworks are not supported/);
  });
});
