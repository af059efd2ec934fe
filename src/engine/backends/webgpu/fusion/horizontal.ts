/**
 * Horizontal fusion: consecutive dispatches that do not depend on each other (no buffer one of
 * them writes is bound by another) become one dispatch. Each kernel's WGSL module is kept whole
 * but renamed apart (its declarations get a suffix, its uniform block becomes a member of one
 * shared uniform struct, its bindings are renumbered) and its entry point becomes a function; the
 * merged entry point hands each range of workgroups to one kernel with the workgroup id and count
 * that kernel would have seen on its own. Which kernel a workgroup runs depends only on the
 * workgroup id, so barriers inside the kernels stay in uniform control flow.
 */
import { grid } from '../kernels/builder.ts';
import type { DispatchSpec, KernelContext } from '../kernels/types.ts';

/** One storage binding declaration of a module: `@binding(j) var<storage, access> name: type;`. */
interface StorageDecl {
  readonly line: string;
  readonly j: number;
  readonly access: string;
  readonly name: string;
  readonly type: string;
}

interface Parsed {
  readonly spec: DispatchSpec;
  readonly decls: readonly StorageDecl[];
  readonly enables: string[];
  readonly fields: string;
  readonly rest: string;
  readonly wgSize: string;
  readonly params: { builtin: string; name: string; type: string }[];
  readonly workgroupBytes: number;
  /** No barriers and no workgroup memory: its threads never wait for each other. */
  readonly independentThreads: boolean;
  readonly names: Set<string>;
}

const HEADER =
  /^((?:enable [^;]+;\n)*)struct Params \{\n([\s\S]*?)\n\}\n@group\(0\) @binding\(0\) var<uniform> p: Params;\n/;
const ENTRY = /@compute @workgroup_size\(([^)]*)\) fn main\(((?:[^()]|\([^()]*\))*)\)/;
const DECL = /\b(?:fn|let|const|struct|alias|var(?:<[^>]*>)?)\s+([A-Za-z_]\w*)/g;
const STORAGE_DECL = /@group\(0\) @binding\((\d+)\) var<storage, (read|read_write)> (\w+): ([^;]+);\n/g;
const WORKGROUP_VAR = /var<workgroup>\s+\w+\s*:\s*array<\s*(f32|u32|i32|vec4f|vec2f)\s*,\s*(\d+)\s*>/g;

function parse(spec: DispatchSpec): Parsed | null {
  const h = HEADER.exec(spec.wgsl);
  if (!h) return null;
  const rest = spec.wgsl.slice(h[0].length);
  const e = ENTRY.exec(rest);
  if (!e || rest.indexOf('fn main(') !== rest.lastIndexOf('fn main(')) return null;
  const params: Parsed['params'] = [];
  for (const part of e[2].split(',')) {
    const m = /@builtin\((\w+)\)\s*(\w+)\s*:\s*(\w+)/.exec(part);
    if (!part.trim()) continue;
    if (!m) return null;
    params.push({ builtin: m[1], name: m[2], type: m[3] });
  }
  let workgroupBytes = 0;
  const declaredShared = (rest.match(/var<workgroup>/g) ?? []).length;
  let parsedShared = 0;
  for (const m of rest.matchAll(WORKGROUP_VAR)) {
    workgroupBytes += Number(m[2]) * (m[1] === 'vec4f' ? 16 : m[1] === 'vec2f' ? 8 : 4);
    parsedShared++;
  }
  if (parsedShared !== declaredShared) return null;
  const names = new Set<string>();
  for (const m of rest.matchAll(DECL)) names.add(m[1]);
  // `p` is the uniform block and becomes a struct member: a local of that name would clash.
  if (names.has('p') || names.has('pu')) return null;
  const enables = h[1] ? h[1].trim().split('\n') : [];
  const decls = [...rest.matchAll(STORAGE_DECL)].map((m) => ({
    line: m[0],
    j: Number(m[1]),
    access: m[2],
    name: m[3],
    type: m[4],
  }));
  if (decls.length !== spec.bindings.length) return null;
  // Subgroup operations need every lane of a subgroup at the call: never behind the size guard.
  const independentThreads =
    workgroupBytes === 0 &&
    !/\b(workgroupBarrier|storageBarrier|workgroupUniformLoad)\b/.test(rest) &&
    !params.some((q) => q.builtin.startsWith('subgroup'));
  const wgSize = e[1].replace(/\s/g, '');
  return { spec, decls, enables, fields: h[2], rest, wgSize, params, workgroupBytes, names, independentThreads };
}

const writesOf = (s: DispatchSpec) =>
  new Set(s.bindings.filter((_, i) => s.access[i] === 'read_write').map((b) => b.buffer));

/** Whether b may run in the same dispatch as a: neither binds a buffer the other writes. */
function independent(a: DispatchSpec, b: DispatchSpec): boolean {
  const wa = writesOf(a);
  const wb = writesOf(b);
  return !b.bindings.some((x) => wa.has(x.buffer)) && !a.bindings.some((x) => wb.has(x.buffer));
}

const totalWorkgroups = (s: DispatchSpec) => s.workgroups[0] * s.workgroups[1] * s.workgroups[2];

/** Merges runs of consecutive independent dispatches that fit one dispatch's limits. */
export function mergeIndependent(specs: readonly DispatchSpec[], ctx: KernelContext): DispatchSpec[] {
  const out: DispatchSpec[] = [];
  let group: Parsed[] = [];
  const flush = () => {
    if (group.length === 1) out.push(group[0].spec);
    else if (group.length > 1) out.push(merge(group, ctx));
    group = [];
  };
  for (const spec of specs) {
    const p = totalWorkgroups(spec) > 0 ? parse(spec) : null;
    if (!p) {
      flush();
      out.push(spec);
      continue;
    }
    if (group.length > 0 && !fits(group, p, ctx)) flush();
    group.push(p);
  }
  flush();
  return out;
}

function fits(group: readonly Parsed[], p: Parsed, ctx: KernelContext): boolean {
  if (!sizesCompatible([...group, p])) return false;
  if (!group.every((g) => independent(g.spec, p.spec))) return false;
  if (bindingLayout([...group, p]).bindings.length > ctx.limits.maxStorageBuffers) return false;
  const shared = group.reduce((n, g) => n + g.workgroupBytes, p.workgroupBytes);
  if (shared > ctx.limits.maxWorkgroupStorageBytes) return false;
  const workgroups = group.reduce((n, g) => n + totalWorkgroups(g.spec), totalWorkgroups(p.spec));
  return workgroups <= ctx.limits.maxWorkgroupsPerDim * ctx.limits.maxWorkgroupsPerDim;
}

interface BindingLayout {
  /** The merged dispatch's storage bindings, in binding order (1, 2, ...). */
  readonly bindings: { binding: DispatchSpec['bindings'][number]; access: 'read' | 'read_write' }[];
  /** Per module: its binding j -> the merged binding number, or the merged variable it reuses. */
  readonly modules: Map<number, number | string>[];
}

/**
 * Storage bindings of the merged kernel: a buffer several modules read (AdamW's hyper-parameters
 * and grad norm) is bound once and shared, so more kernels fit the device's binding limit.
 */
function bindingLayout(group: readonly Parsed[]): BindingLayout {
  const bindings: BindingLayout['bindings'] = [];
  const shared = new Map<string, string>();
  const keys = new Map<GPUBuffer, number>();
  const modules = group.map((g, k) => {
    const map = new Map<number, number | string>();
    for (const d of g.decls) {
      const binding = g.spec.bindings[d.j - 1];
      const access = g.spec.access[d.j - 1];
      let id = keys.get(binding.buffer);
      if (id === undefined) {
        id = keys.size;
        keys.set(binding.buffer, id);
      }
      const key = `${id}|${binding.size ?? 'all'}|${d.type}`;
      const reuse = access === 'read' ? shared.get(key) : undefined;
      if (reuse) {
        map.set(d.j, reuse);
        continue;
      }
      bindings.push({ binding, access });
      map.set(d.j, bindings.length);
      if (access === 'read') shared.set(key, `${d.name}_k${k}`);
    }
    return map;
  });
  return { bindings, modules };
}

/** Renames module k's declarations apart and points its uniform reads at member m{k}. */
function renameModule(p: Parsed, k: number, layout: ReadonlyMap<number, number | string>): string {
  let text = p.rest;
  const alias = new Map<string, string>();
  for (const d of p.decls) {
    const to = layout.get(d.j) as number | string;
    if (typeof to === 'string') {
      alias.set(d.name, to);
      text = text.replace(d.line, '');
    } else {
      text = text.replace(d.line, d.line.replace(`@binding(${d.j})`, `@binding(${to})`));
    }
  }
  text = text.replace(ENTRY, (_m, _size, params: string) => `fn main(${stripAttributes(params)})`);
  return text.replace(/(\.?)\b([A-Za-z_]\w*)\b/g, (m, dot: string, name: string) => {
    if (dot) return m;
    if (name === 'p') return `pu.m${k}`;
    if (name === 'Params') return `Params_k${k}`;
    const shared = alias.get(name);
    if (shared) return shared;
    return p.names.has(name) || name === 'main' ? `${name}_k${k}` : m;
  });
}

const stripAttributes = (params: string) => params.replace(/@builtin\(\w+\)\s*/g, '');

/** A one-dimensional workgroup size, or NaN. */
const size1d = (g: Parsed): number => (/^\d+$/.test(g.wgSize) ? Number(g.wgSize) : Number.NaN);

/**
 * Kernels merge when their workgroup sizes are equal, or (one-dimensional sizes) when every kernel
 * smaller than the largest has independent threads: it then runs in the larger workgroups with its
 * extra threads idle, and no barrier sits behind that non-uniform guard.
 */
function sizesCompatible(group: readonly Parsed[]): boolean {
  if (group.every((g) => g.wgSize === group[0].wgSize)) return true;
  const sizes = group.map(size1d);
  if (sizes.some(Number.isNaN)) return false;
  const max = Math.max(...sizes);
  return group.every((g, k) => sizes[k] === max || g.independentThreads);
}

function merge(group: readonly Parsed[], ctx: KernelContext): DispatchSpec {
  const enables = [...new Set(group.flatMap((g) => g.enables))];
  const structs = group.map((g, k) => `struct Params_k${k} {\n${g.fields}\n}\n`).join('');
  const members = group.map((_, k) => `  ${k === 0 ? '' : '@align(16) '}m${k}: Params_k${k},`).join('\n');
  const layout = bindingLayout(group);
  const modules = group.map((g, k) => renameModule(g, k, layout.modules[k]));
  const uniformSize = group.every((g) => g.wgSize === group[0].wgSize);
  const wg = uniformSize ? group[0].wgSize : String(Math.max(...group.map(size1d)));
  const subgroups = group.some((g) => g.params.some((q) => q.builtin.startsWith('subgroup')));
  const lanes = subgroups ? ', @builtin(subgroup_invocation_id) m_sl: u32, @builtin(subgroup_size) m_sw: u32' : '';
  let end = 0;
  const branches = group.map((g, k) => {
    const size = g.wgSize.split(',').map((d) => d.trim());
    const sizeVec = `vec3u(${size[0]}u, ${size[1] ?? '1'}u, ${size[2] ?? '1'}u)`;
    // A kernel with smaller workgroups runs on the first threads only (its threads are independent).
    const guard = g.wgSize === wg ? '' : `if (m_li < ${g.wgSize}u) `;
    const [X, Y, Z] = g.spec.workgroups;
    const start = end;
    end += X * Y * Z;
    const wid = `vec3u(l % ${X}u, (l / ${X}u) % ${Y}u, l / ${X * Y}u)`;
    const args = g.params.map(({ builtin }) => {
      switch (builtin) {
        case 'workgroup_id':
          return wid;
        case 'num_workgroups':
          return `vec3u(${X}u, ${Y}u, ${Z}u)`;
        case 'local_invocation_index':
          return 'm_li';
        case 'local_invocation_id':
          return 'm_lid';
        case 'global_invocation_id':
          return `${wid} * ${sizeVec} + m_lid`;
        case 'subgroup_invocation_id':
          return 'm_sl';
        case 'subgroup_size':
          return 'm_sw';
        default:
          throw new Error(`horizontal fusion: unsupported builtin ${builtin}`);
      }
    });
    return `  if (m_l < ${end}u) {\n    let l = m_l - ${start}u;\n    ${guard}{ main_k${k}(${args.join(', ')}); }\n    return;\n  }`;
  });
  const wgsl = `${enables.map((e) => `${e}\n`).join('')}${structs}struct MergedParams {\n${members}\n}
@group(0) @binding(0) var<uniform> pu: MergedParams;
${modules.join('\n')}
@compute @workgroup_size(${wg}) fn main(@builtin(workgroup_id) m_wid: vec3u, @builtin(num_workgroups) m_nwg: vec3u, @builtin(local_invocation_index) m_li: u32, @builtin(local_invocation_id) m_lid: vec3u${lanes}) {
  let m_l = m_wid.x + m_wid.y * m_nwg.x;
${branches.join('\n')}
}
`;
  const uniform = new Uint8Array(group.reduce((n, g) => n + align16(g.spec.uniform.byteLength), 0));
  let at = 0;
  for (const g of group) {
    uniform.set(new Uint8Array(g.spec.uniform), at);
    at += align16(g.spec.uniform.byteLength);
  }
  return {
    label: `merged(${group.map((g) => g.spec.label).join('+')})`,
    wgsl,
    uniform: uniform.buffer,
    bindings: layout.bindings.map((b) => b.binding),
    access: layout.bindings.map((b) => b.access),
    workgroups: grid(end, ctx.limits.maxWorkgroupsPerDim),
  };
}

const align16 = (n: number) => Math.ceil(n / 16) * 16;
