// The centre canvas (Konva): the selected unit's source — paper, placed image, strokes, the
// inpainting mask as a tint — the control-map overlay, and the pose editor's joints. Pointer events go through the tool
// state machines; the store owns strokes, placement and keypoints (written back on release).
import { useEffect, useRef, useState } from 'react';
import { Circle, Group, Image as KImage, Layer, Line, Rect, Stage, Transformer } from 'react-konva';
import type Konva from 'konva';
import { fitView, stagePoint, stageToDoc, zoomAt, type View } from '../canvas/coords.ts';
import { IDLE, isMaskTool, panMove, panStart, pointerDown, pointerMove, pointerUp, type ToolState } from '../canvas/tools.ts';
import type { Stroke } from '../canvas/strokes.ts';
import type { UnitSource } from '../canvas/source.ts';
import { PAPER } from '../canvas/rasterize.ts';
import { selectedUnit, useStudio } from '../state/studio-store.ts';
import { firstFile, uploadImage } from '../state/upload.ts';
import type { Skeleton } from '../preprocess/pose.ts';
import { useFileBitmap, useRgbaBitmap } from './hooks.ts';
import { Toolbar } from './Toolbar.tsx';
import { useCanvasShortcuts } from './shortcuts.ts';
import { editPose } from '../state/previews.ts';
import { tryExample } from '../state/examples.ts';

function StrokeLine({ stroke, color }: { stroke: Stroke; color?: string }) {
  // A click is a dot: Konva needs two points to draw the round-capped zero-length segment.
  const points = stroke.points.length === 2 ? [...stroke.points, ...stroke.points] : stroke.points;
  return (
    <Line
      points={points}
      stroke={color ?? stroke.color}
      strokeWidth={stroke.size}
      lineCap="round"
      lineJoin="round"
      globalCompositeOperation={stroke.kind === 'erase' ? 'destination-out' : 'source-over'}
      listening={false}
      perfectDrawEnabled={false}
    />
  );
}

/**
 * A stroke that starts at the canvas edge and runs over the toolbar or header must not select
 * their text: while the pointer is down after pressing on the canvas, nothing on the page selects.
 */
function startDrawingGesture() {
  document.getSelection()?.removeAllRanges();
  document.body.classList.add('drawing');
  const end = () => {
    document.body.classList.remove('drawing');
    window.removeEventListener('pointerup', end);
    window.removeEventListener('pointercancel', end);
  };
  window.addEventListener('pointerup', end);
  window.addEventListener('pointercancel', end);
}

export function CanvasView() {
  const unit = useStudio(selectedUnit);
  const tools = useStudio((s) => s.tools);
  const opacity = useStudio((s) => s.overlayOpacity);
  const preview = useStudio((s) => (unit ? s.previews[unit.id] : undefined));
  const { addStroke, addMaskStroke, moveImage } = useStudio.getState(); // actions are stable; no subscription
  const settings = useStudio((s) => s.settings);
  const inputError = useStudio((s) => s.inputError);
  const inputRevision = useStudio((s) => s.inputRevision);
  const box = useRef<HTMLDivElement>(null);
  const [size, setSize] = useState({ width: 600, height: 500 });
  const [view, setView] = useState<View>({ scale: 1, x: 0, y: 0 });
  const [tool, setTool] = useState<ToolState>(IDLE);
  const spaceHeld = useCanvasShortcuts();
  const imageRef = useRef<Konva.Image>(null);
  const transformer = useRef<Konva.Transformer>(null);

  const src = unit?.source.present ?? { width: settings.width, height: settings.height, image: null, strokes: [] };
  const image = useFileBitmap(src.image?.blob ?? null);
  const overlay = useRgbaBitmap(preview?.map ?? null);
  const fit = () => setView(fitView(src, size));

  useEffect(() => {
    const el = box.current!;
    const observer = new ResizeObserver(() => setSize({ width: el.clientWidth, height: el.clientHeight }));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  useEffect(fit, [src.width, src.height, size.width, size.height]);
  useEffect(() => {
    if (tools.tool === 'move' && imageRef.current) transformer.current?.nodes([imageRef.current]);
    else transformer.current?.nodes([]);
  }, [tools.tool, image]);

  const pointer = (e: Konva.KonvaEventObject<MouseEvent>) => {
    const p = e.target.getStage()!.getPointerPosition()!;
    return stagePoint(p.x, p.y);
  };
  const onDown = (e: Konva.KonvaEventObject<MouseEvent>) => {
    // Dragging a pose joint moves the joint; it never draws.
    if (!unit || e.target.name() === 'joint') return;
    if (spaceHeld.current || e.evt.button === 1) return setTool(panStart(view, pointer(e)));
    if (e.evt.button === 0) setTool(pointerDown(tools, stageToDoc(view, pointer(e))).state);
  };
  const onMove = (e: Konva.KonvaEventObject<MouseEvent>) => {
    if (tool.mode === 'panning') return setView(panMove(tool, pointer(e))!);
    if (tool.mode === 'drawing') setTool(pointerMove(tools, tool, stageToDoc(view, pointer(e))).state);
  };
  const onUp = () => {
    const step = pointerUp(tool);
    setTool(step.state);
    if (step.commit && unit) (isMaskTool(tools.tool) ? addMaskStroke : addStroke)(unit.id, step.commit);
  };
  const onWheel = (e: Konva.KonvaEventObject<WheelEvent>) => {
    e.evt.preventDefault();
    setView(zoomAt(view, pointer(e), e.evt.deltaY < 0 ? 1.1 : 1 / 1.1));
  };

  const docTransform = { x: view.x, y: view.y, scaleX: view.scale, scaleY: view.scale };
  const pose = unit?.preprocessor === 'openpose' ? (unit.pose ?? preview?.keypoints ?? null) : null;
  // Keypoints live in generation pixels; the canvas shows them over the source.
  const [kx, ky] = [src.width / settings.width, src.height / settings.height];

  return (
    <div className="canvas-area">
      <Toolbar onFitView={fit} />
      {inputError && (
        <div className="input-error">
          <p role="alert">{inputError}</p>
          <button aria-label="Dismiss" onClick={() => useStudio.getState().setRun({ inputError: null })}>
            ✕
          </button>
        </div>
      )}
      <div
        ref={box}
        className="canvas-box"
        role="application"
        aria-label="Canvas"
        // Focusable, and focused by drawing, so Ctrl+Z after a stroke undoes the stroke (not text in a field).
        tabIndex={0}
        onPointerDown={(e) => {
          e.currentTarget.focus();
          startDrawingGesture();
        }}
        data-tool={tools.tool}
        data-input-revision={inputRevision}
        onDragOver={(e) => e.preventDefault()}
        onDrop={(e) => {
          e.preventDefault();
          const file = firstFile(e.dataTransfer.files);
          if (file) void uploadImage(file);
        }}
      >
        {!unit && (
          <div className="canvas-hint">
            <p>Add a ControlNet unit (right), then draw here or upload an image — or try an example:</p>
            <ExampleButtons />
          </div>
        )}
        <Stage width={size.width} height={size.height} onMouseDown={onDown} onMouseMove={onMove} onMouseUp={onUp} onMouseLeave={onUp} onWheel={onWheel}>
          <Layer listening={tools.tool === 'move'}>
            <Group {...docTransform}>
              <Rect width={src.width} height={src.height} fill={PAPER} listening={false} />
              {src.image && image && (
                <KImage
                  ref={imageRef}
                  image={image}
                  x={src.image.x}
                  y={src.image.y}
                  width={src.image.width}
                  height={src.image.height}
                  scaleX={src.image.scale}
                  scaleY={src.image.scale}
                  draggable={tools.tool === 'move'}
                  onDragEnd={(e) => unit && moveImage(unit.id, { x: e.target.x(), y: e.target.y(), scale: src.image!.scale })}
                  onTransformEnd={(e) => unit && moveImage(unit.id, { x: e.target.x(), y: e.target.y(), scale: e.target.scaleX() })}
                />
              )}
            </Group>
            <Transformer ref={transformer} keepRatio rotateEnabled={false} enabledAnchors={['top-left', 'top-right', 'bottom-left', 'bottom-right']} />
          </Layer>
          <Layer listening={false}>
            <Group {...docTransform} clipX={0} clipY={0} clipWidth={src.width} clipHeight={src.height}>
              {src.strokes.map((s, i) => (
                <StrokeLine key={i} stroke={s} />
              ))}
              {tool.mode === 'drawing' && !isMaskTool(tools.tool) && <StrokeLine stroke={tool.stroke} />}
            </Group>
          </Layer>
          <MaskLayer src={src} drawing={tool.mode === 'drawing' && isMaskTool(tools.tool) ? tool.stroke : null} transform={docTransform} />
          <Layer listening={false}>{overlay && opacity > 0 && <KImage image={overlay} {...docTransform} width={src.width} height={src.height} opacity={opacity} />}</Layer>
          {pose && unit && (
            <Layer>
              <Group {...docTransform}>
                {pose.flatMap((person, pi) =>
                  person.map((pt, ji) =>
                    pt ? (
                      <Circle
                        key={`${pi}-${ji}`}
                        name="joint"
                        x={pt[0] * kx}
                        y={pt[1] * ky}
                        radius={5 / view.scale}
                        fill="#ff3b6b"
                        stroke="#fff"
                        strokeWidth={1 / view.scale}
                        draggable
                        onDragEnd={(e) => void editPose(unit.id, movedJoint(pose, pi, ji, e.target.x() / kx, e.target.y() / ky))}
                      />
                    ) : null,
                  ),
                )}
              </Group>
            </Layer>
          )}
        </Stage>
      </div>
    </div>
  );
}

const MASK_TINT = '#ff2d55';

/** The mask as a tinted overlay: painted strokes tint, erased ones clear; inverted, the tint covers all but the strokes. */
function MaskLayer({ src, drawing, transform }: { src: UnitSource; drawing: Stroke | null; transform: Record<string, number> }) {
  const strokes = [...(src.mask ?? []), ...(drawing ? [drawing] : [])];
  if (!strokes.length && !src.maskInverted) return null;
  // Inverted: paint clears the tint and erase restores it.
  const flip = (s: Stroke): Stroke => (src.maskInverted ? { ...s, kind: s.kind === 'paint' ? 'erase' : 'paint' } : s);
  return (
    <Layer listening={false} opacity={0.45} name="mask-layer">
      <Group {...transform} clipX={0} clipY={0} clipWidth={src.width} clipHeight={src.height}>
        {src.maskInverted && <Rect width={src.width} height={src.height} fill={MASK_TINT} />}
        {strokes.map((s, i) => (
          <StrokeLine key={i} stroke={flip(s)} color={MASK_TINT} />
        ))}
      </Group>
    </Layer>
  );
}

export function ExampleButtons() {
  return (
    <span className="examples">
      <button onClick={() => void tryExample('photo-canny')}>Example: picture + Canny</button>
      <button onClick={() => void tryExample('scribble')}>Example: scribble</button>
    </span>
  );
}

function movedJoint(pose: Skeleton[], person: number, joint: number, x: number, y: number): Skeleton[] {
  return pose.map((p, pi) => (pi === person ? p.map((pt, ji) => (ji === joint ? ([x, y] as [number, number]) : pt)) : p));
}
