// The canvas toolbar: tools (the mask brush and eraser among them), brush, history, the mask's
// invert and clear, image upload and the overlay's opacity.
import { useRef } from 'react';
import type { ToolName } from '../canvas/tools.ts';
import { selectedUnit, useStudio } from '../state/studio-store.ts';
import { firstFile, uploadImage } from '../state/upload.ts';

const TOOLS: { name: ToolName; label: string; key: string }[] = [
  { name: 'brush', label: 'Brush', key: 'B' },
  { name: 'eraser', label: 'Eraser', key: 'E' },
  { name: 'line', label: 'Line', key: 'L' },
  { name: 'move', label: 'Move image', key: 'V' },
  { name: 'mask', label: 'Mask', key: 'M' },
  { name: 'unmask', label: 'Unmask', key: 'U' },
];

export function Toolbar({ onFitView }: { onFitView: () => void }) {
  const tools = useStudio((s) => s.tools);
  const setTools = useStudio((s) => s.setTools);
  const unit = useStudio(selectedUnit);
  const { undo, redo, clearSource, setOverlayOpacity, invertMask, clearMask } = useStudio.getState(); // actions are stable; no subscription
  const overlayOpacity = useStudio((s) => s.overlayOpacity);
  const fileInput = useRef<HTMLInputElement>(null);
  const history = unit?.source;

  return (
    <div className="toolbar" role="toolbar" aria-label="Canvas tools">
      {TOOLS.map((t) => (
        <button key={t.name} aria-pressed={tools.tool === t.name} title={`${t.label} (${t.key})`} onClick={() => setTools({ tool: t.name })}>
          {t.label}
        </button>
      ))}
      <label>
        Brush size
        <input type="range" aria-label="Brush size" min={1} max={64} value={tools.size} onChange={(e) => setTools({ size: Number(e.target.value) })} />
      </label>
      <label>
        Colour
        <select aria-label="Brush colour" value={tools.color} onChange={(e) => setTools({ color: e.target.value as 'white' | 'black' })}>
          <option value="black">black</option>
          <option value="white">white</option>
        </select>
      </label>
      <button disabled={!history?.past.length} title="Undo (Ctrl+Z)" onClick={() => unit && undo(unit.id)}>
        Undo
      </button>
      <button disabled={!history?.future.length} title="Redo (Ctrl+Shift+Z or Ctrl+Y)" onClick={() => unit && redo(unit.id)}>
        Redo
      </button>
      <button disabled={!unit} onClick={() => unit && clearSource(unit.id)}>
        Clear
      </button>
      <button disabled={!unit} title="Repaint what is not masked, instead of what is" onClick={() => unit && invertMask(unit.id)}>
        Invert mask
      </button>
      <button disabled={!unit} onClick={() => unit && clearMask(unit.id)}>
        Clear mask
      </button>
      <button
        onClick={() => fileInput.current?.click()}
        onDragOver={(e) => e.preventDefault()}
        onDrop={(e) => {
          e.preventDefault();
          const file = firstFile(e.dataTransfer.files);
          if (file) void uploadImage(file);
        }}
      >
        Upload image
      </button>
      <input
        ref={fileInput}
        type="file"
        accept="image/*"
        hidden
        aria-label="Image file"
        onChange={(e) => {
          const file = firstFile(e.target.files);
          if (file) void uploadImage(file);
          e.target.value = '';
        }}
      />
      <label>
        Overlay opacity
        <input type="range" aria-label="Overlay opacity" min={0} max={1} step={0.05} value={overlayOpacity} onChange={(e) => setOverlayOpacity(Number(e.target.value))} />
      </label>
      <button onClick={onFitView}>Fit view</button>
    </div>
  );
}
