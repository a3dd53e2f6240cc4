// Shows which WebGPU adapter the engine got, which engine runs the models and why (with the
// person's pick), plus a self-test
// that runs the tiny UNet on both back ends and compares them.
import { useEngineStore } from '../state/engine-store.ts';
import type { SelfTestReport } from '../engine/engine.ts';
import { chooseEngine, ENGINE_CHOICE_LABELS, ENGINE_LABELS } from '../state/engine-choice.ts';
import { useStudio } from '../state/studio-store.ts';
import { LabelledSelect } from './LabelledSelect.tsx';

export function GpuStatus() {
  const { device, status, message, restart, selfTest, runSelfTest, closeSelfTest } = useEngineStore();
  const { running, report, error: testError } = selfTest;

  const gpu = device?.gpu;
  return (
    <section className="gpu-status" aria-label="GPU status">
      {status === 'starting' && <p>Starting the engine…</p>}
      {device && gpu && (
        <p data-testid="adapter">
          WebGPU adapter: <strong>{[gpu.vendor, gpu.architecture, gpu.description].filter(Boolean).join(' · ') || 'unnamed adapter'}</strong>
          {gpu.shaderF16 ? ' (fp16 shaders)' : ' (no shader-f16: fp32 models)'}
        </p>
      )}
      {device && !gpu && (
        <p role="alert" data-testid="adapter">
          No WebGPU adapter in this browser. The studio will run on the CPU (WASM), which is much slower. Chrome or Edge 113+ has WebGPU.
        </p>
      )}
      {device && <EnginePick />}
      {message && <p role="alert">{message}</p>}
      {status === 'crashed' && <button onClick={() => restart('Restarted by hand.')}>Restart engine</button>}
      <button onClick={() => void runSelfTest()} disabled={running || status !== 'ready'}>
        Run GPU self-test
      </button>
      {testError && <p role="alert">Self-test failed: {testError}</p>}
      {report && <SelfTestResult report={report} onClose={closeSelfTest} />}
    </section>
  );
}

/** Which engine runs the models and why, and the person's pick (Auto, WebGPU, CPU). */
function EnginePick() {
  const choice = useStudio((s) => s.settings.engine);
  const inUse = chooseEngine(
    useEngineStore((s) => s.device),
    choice,
  );
  const pickEngine = useEngineStore((s) => s.pickEngine);
  return (
    <p data-testid="engine">
      Engine: <strong>{ENGINE_LABELS[inUse.provider]}</strong>, as {inUse.reason}. <LabelledSelect label="Engine" value={choice} options={ENGINE_CHOICE_LABELS} onChange={(c) => void pickEngine(c)} />
    </p>
  );
}

function SelfTestResult({ report, onClose }: { report: SelfTestReport; onClose: () => void }) {
  return (
    <div role="status" aria-label="Self-test result">
      <button onClick={onClose}>Close</button>
      <p>
        UNet variant: {report.chosen.file} ({report.chosen.precision}) on {report.chosen.provider}
      </p>
      {report.chosen.notice && <p data-testid="variant-notice">{report.chosen.notice}</p>}
      <ul>
        {report.runs.map((r, i) => (
          <li key={i}>
            {r.provider}: {r.ms.toFixed(0)} ms, output {r.outputDims.join('×')}
          </li>
        ))}
      </ul>
      {report.maxAbsDiffWebGpuVsWasm !== null && (
        <p data-testid="gpu-wasm-diff" data-value={report.maxAbsDiffWebGpuVsWasm}>
          max |WebGPU − WASM| = {report.maxAbsDiffWebGpuVsWasm.toExponential(2)}
        </p>
      )}
      {report.fp16 && (
        <p data-testid="fp16-diff" data-value={report.fp16.maxAbsDiffVsFp32}>
          fp16 UNet on {report.fp16.provider}: max |fp16 − fp32| = {report.fp16.maxAbsDiffVsFp32.toExponential(2)}
        </p>
      )}
      {report.fp16WebGpuRefusal && <p data-testid="fp16-refusal">fp16 on WebGPU refused: {report.fp16WebGpuRefusal}</p>}
    </div>
  );
}
