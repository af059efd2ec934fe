import type { CapabilityReport, OrchardFeatureName, OrchardLimitName } from '../../engine/backends/webgpu/device.ts';
import type { MatmulCheck } from '../../engine/gpu-probe/check.ts';
import { formatBytes, formatCount } from '../format.ts';
import { Panel, TableHead } from './Panel.tsx';

const LIMIT_ROWS: { name: OrchardLimitName; meaning: string; bytes: boolean }[] = [
  { name: 'maxStorageBufferBindingSize', meaning: 'largest tensor one kernel can bind', bytes: true },
  { name: 'maxBufferSize', meaning: 'largest single GPU buffer', bytes: true },
  { name: 'maxComputeWorkgroupStorageSize', meaning: 'shared memory per workgroup', bytes: true },
  { name: 'maxComputeInvocationsPerWorkgroup', meaning: 'threads per workgroup', bytes: false },
  { name: 'maxComputeWorkgroupSizeX', meaning: 'workgroup width', bytes: false },
  { name: 'maxStorageBuffersPerShaderStage', meaning: 'storage buffers per kernel', bytes: false },
];

const FEATURE_ROWS: { name: OrchardFeatureName; meaning: string }[] = [
  { name: 'shader-f16', meaning: 'half-precision arithmetic in kernels' },
  { name: 'subgroups', meaning: 'threads share operands in thin matmuls (decode, LoRA)' },
  { name: 'timestamp-query', meaning: 'GPU-side timings for benchmarks' },
];

export function AdapterDetails({ webgpu }: { webgpu: CapabilityReport }) {
  const { adapter } = webgpu;
  const rows: [string, string][] = [
    ['Vendor', adapter.vendor],
    ['Architecture', adapter.architecture],
    ['Device', adapter.device],
    ['Description', adapter.description],
    ['Fallback adapter', adapter.isFallbackAdapter ? 'yes (software)' : 'no (hardware)'],
  ];
  if (adapter.subgroupMinSize !== undefined) {
    const sizes = `${adapter.subgroupMinSize}–${adapter.subgroupMaxSize ?? adapter.subgroupMinSize}`;
    const why = webgpu.subgroupKernelsWhy ? `: ${webgpu.subgroupKernelsWhy}` : '';
    rows.push(['Subgroup size', `${sizes}${webgpu.subgroupKernels ? ' (used by the kernels' : ' (not used'}${why})`]);
  }
  return (
    <Panel id="adapter" title="Adapter">
      <dl className="facts" data-testid="adapter-facts">
        {rows.map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{value || <span className="muted">not reported</span>}</dd>
          </div>
        ))}
      </dl>
    </Panel>
  );
}

export function SelfTest({ matmul }: { matmul: MatmulCheck }) {
  const { m, k, n } = matmul.shape;
  return (
    <Panel id="selftest" title="Kernel self-test">
      <p className="selftest-result" data-testid="selftest" data-passed={matmul.passed}>
        <span className={matmul.passed ? 'mark-good' : 'mark-bad'} aria-hidden="true">
          {matmul.passed ? '✓' : '✗'}
        </span>{' '}
        {matmul.passed ? 'Numbers match' : 'Numbers do not match'}
      </p>
      <p className="muted">
        A {m}×{k} by {k}×{n} WGSL matmul, run in the worker and compared with a JavaScript reference.
      </p>
      {matmul.error ? (
        <p className="error-text">{matmul.error}</p>
      ) : (
        <dl className="facts">
          <div>
            <dt>Worst error</dt>
            <dd>
              {matmul.maxScaledError.toExponential(1)} (tolerance {matmul.tolerance.toExponential(0)})
            </dd>
          </div>
          <div>
            <dt>Time</dt>
            <dd>{matmul.gpuMs.toFixed(0)} ms, including shader compile</dd>
          </div>
        </dl>
      )}
    </Panel>
  );
}

export function LimitTable({ limits }: { limits: CapabilityReport['limits'] }) {
  const value = ({ name, bytes }: (typeof LIMIT_ROWS)[number]) =>
    bytes ? formatBytes(limits[name]) : formatCount(limits[name]);
  const rows = LIMIT_ROWS.map((row) => (
    <tr key={row.name}>
      <th scope="row">
        <code>{row.name}</code>
      </th>
      <td className="num">{value(row)}</td>
      <td className="muted">{row.meaning}</td>
    </tr>
  ));
  return (
    <Panel id="limits" title="Limits requested" wide>
      <table className="limits">
        <TableHead columns={['Limit', 'Value', 'Means']} />
        <tbody>{rows}</tbody>
      </table>
    </Panel>
  );
}

export function FeatureList({ features }: { features: CapabilityReport['features'] }) {
  return (
    <Panel id="features" title="Optional features" wide>
      <ul className="features">
        {FEATURE_ROWS.map((row) => {
          const on = features[row.name];
          return (
            <li key={row.name} className={on ? 'feature on' : 'feature off'}>
              <span className="feature-mark" aria-hidden="true">
                {on ? '✓' : '—'}
              </span>
              <code>{row.name}</code>
              <span className="visually-hidden">{on ? 'available' : 'not available'}</span>
              <span className="muted feature-meaning">{row.meaning}</span>
            </li>
          );
        })}
      </ul>
    </Panel>
  );
}
