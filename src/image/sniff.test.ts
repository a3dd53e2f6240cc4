import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { imageDimensions, sniffImageKind } from './sniff.ts';
import { sharedPath } from '../test/shared-data.ts';

describe('image sniffing', () => {
  it('recognises PNG and reads its size from the header', () => {
    const png = new Uint8Array(readFileSync(sharedPath('images', 'bird.png')));
    expect(sniffImageKind(png)).toBe('png');
    expect(imageDimensions(png)).toEqual({ width: expect.any(Number), height: expect.any(Number) });
  });

  it('reads a JPEG size from its SOF marker', () => {
    // SOI, an APP0 segment, then SOF0 with height 300 and width 400.
    const jpeg = Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x01, 0x2c, 0x01, 0x90, 0x03);
    expect(sniffImageKind(jpeg)).toBe('jpeg');
    expect(imageDimensions(jpeg)).toEqual({ width: 400, height: 300 });
  });

  it('refuses text', () => {
    expect(sniffImageKind(new TextEncoder().encode('hello, this is not an image'))).toBeNull();
  });
});
