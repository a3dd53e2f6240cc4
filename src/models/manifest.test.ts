import { describe, expect, it } from 'vitest';
import { resolveSetUrl } from './manifest.ts';

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
