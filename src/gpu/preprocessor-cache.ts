// The engine's preprocessor-model job: depth and pose models (ONNX) as sessions, made once per
// model and provider and reused, run on tensors the preprocessing core prepares.
import type { TensorData } from '../diffusion/tensor.ts';
import { fetchBytes } from '../models/fetch-file.ts';
import { ModelSession, type ExecutionProvider, type ReadbackCounter } from './backend.ts';

export class PreprocessorModelCache {
  private sessions = new Map<string, Promise<ModelSession>>();

  constructor(private readonly readbacks: ReadbackCounter) {}

  async run(url: string, provider: ExecutionProvider, feeds: Record<string, TensorData>): Promise<Record<string, TensorData>> {
    const key = `${provider} ${url}`;
    let session = this.sessions.get(key);
    if (!session) {
      session = fetchBytes(url).then((bytes) => ModelSession.create(bytes, provider, url, this.readbacks));
      this.sessions.set(key, session);
      session.catch(() => this.sessions.delete(key));
    }
    const ready = await session;
    const expected = ready.inputs.map((i) => i.name);
    if (expected.length !== Object.keys(feeds).length || !expected.every((name) => name in feeds)) {
      throw new Error(`${url} is not the model this preprocessor needs: it takes (${expected.join(', ')}), the preprocessor feeds (${Object.keys(feeds).join(', ')}). Pick the matching model.`);
    }
    const outputs = await ready.run(feeds);
    const result: Record<string, TensorData> = {};
    for (const [name, t] of Object.entries(outputs)) {
      result[name] = await t.download();
      t.dispose();
    }
    return result;
  }

  async dispose(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(
      all.map((s) =>
        s.then(
          (x) => x.dispose(),
          () => undefined,
        ),
      ),
    );
  }
}
