// The bottom strip: finished images, newest first. Open one large, delete it, restore its
// settings, start the next run from it, or download it as a PNG carrying A1111's `parameters`.
import { useState } from 'react';
import { useStudio } from '../state/studio-store.ts';
import type { GalleryItem } from '../state/settings.ts';
import { useObjectUrl } from './hooks.ts';
import { startFromGalleryImage } from '../state/image-input.ts';

function download(item: GalleryItem) {
  const url = URL.createObjectURL(item.png);
  const a = document.createElement('a');
  a.href = url;
  a.download = `controlnet-studio-${item.settings.seed}.png`;
  a.click();
  // The download has its own reference by now; release ours a little later.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function GalleryEntry({ item, onOpen }: { item: GalleryItem; onOpen: () => void }) {
  const url = useObjectUrl(item.png);
  const { deleteFromGallery, useSettingsOf } = useStudio.getState(); // actions are stable; no subscription
  return (
    <li aria-label={`Image, seed ${item.settings.seed}`}>
      <button className="thumb" onClick={onOpen} aria-label={`Open image, seed ${item.settings.seed}`}>
        {url && <img src={url} alt={item.settings.prompt || 'generated image'} />}
      </button>
      <div className="thumb-actions">
        <button onClick={() => useSettingsOf(item.id)}>Use these settings</button>
        <button onClick={() => void startFromGalleryImage(item)}>Use as input</button>
        <button onClick={() => download(item)}>Download</button>
        <button onClick={() => void deleteFromGallery(item.id)}>Delete</button>
      </div>
    </li>
  );
}

function ControlMapThumb({ png, label }: { png: Blob; label: string }) {
  const url = useObjectUrl(png);
  return url ? <img src={url} alt={label} title={label} /> : null;
}

function LargeView({ item, onClose }: { item: GalleryItem; onClose: () => void }) {
  const url = useObjectUrl(item.png);
  return (
    <div role="dialog" aria-label="Image" className="large-view" onClick={onClose}>
      {url && <img src={url} alt={item.settings.prompt || 'generated image'} />}
      <pre>{item.parameters}</pre>
      <div className="control-maps">
        {item.controlMaps.map((m) => (
          <ControlMapThumb key={m.unitIndex} png={m.png} label={`Control map of ControlNet ${m.unitIndex}`} />
        ))}
      </div>
      <button onClick={onClose}>Close</button>
    </div>
  );
}

export function Gallery() {
  const gallery = useStudio((s) => s.gallery);
  const [open, setOpen] = useState<string | null>(null);
  const openItem = gallery.find((g) => g.id === open);
  return (
    <>
      <ul className="gallery" aria-label="Gallery">
        {gallery.map((item) => (
          <GalleryEntry key={item.id} item={item} onOpen={() => setOpen(item.id)} />
        ))}
      </ul>
      {!gallery.length && <p className="empty">Finished images appear here.</p>}
      {openItem && <LargeView item={openItem} onClose={() => setOpen(null)} />}
    </>
  );
}
