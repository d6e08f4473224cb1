/**
 * The import graph of src/, read from the source text (no compiler API: TypeScript 7 has none).
 * Every import counts, `import type` included: a type-only import still ties two modules together
 * in the design, even though it is erased at run time.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface ImportEdge {
  /** The specifier as written: './context', '@colyseus/core', 'node:fs'. */
  spec: string;
  /** For a relative specifier that resolves to a file under the root: its path relative to the root. */
  target?: string;
  line: number;
}

export interface SourceModule {
  /** Path relative to the project root, with forward slashes: 'src/rooms/roomKit.ts'. */
  file: string;
  lines: number;
  imports: ImportEdge[];
}

/**
 * The text with comments replaced by spaces (newlines kept, so line numbers stay), strings and
 * template literals left as they are. Regular-expression literals are not recognised; the test
 * below checks that scanning the real sources finds the imports it must.
 */
export function stripComments(text: string): string {
  let out = '';
  let i = 0;
  const n = text.length;
  // A stack of template-literal nesting: each entry counts open braces inside `${ ... }`.
  const templates: number[] = [];
  while (i < n) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === '/' && next === '/') {
      while (i < n && text[i] !== '\n') {
        out += ' ';
        i++;
      }
      continue;
    }
    if (c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < n && text[j] !== c && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (c === '`' || (c === '}' && templates.length && templates[templates.length - 1] === 0)) {
      if (c === '}') templates.pop();
      // Inside a template literal: copy up to its end or the next `${`.
      let j = i + 1;
      while (j < n && text[j] !== '`' && !(text[j] === '$' && text[j + 1] === '{')) j += text[j] === '\\' ? 2 : 1;
      if (text[j] === '$') {
        templates.push(0);
        out += text.slice(i, j + 2);
        i = j + 2;
      } else {
        out += text.slice(i, j + 1);
        i = j + 1;
      }
      continue;
    }
    if (templates.length) {
      if (c === '{') templates[templates.length - 1]!++;
      else if (c === '}') templates[templates.length - 1]!--;
    }
    out += c;
    i++;
  }
  return out;
}

const STATIC_IMPORT = /(?:^|[;\n])\s*(?:import|export)\s+(?:type\s+)?(?:[\w*${}\s,]+?\s+from\s+)?(['"])([^'"\n]+)\1/g;
const DYNAMIC_IMPORT = /\b(?:import|require)\s*\(\s*(['"])([^'"\n]+)\1\s*\)/g;

export function importsOf(text: string): Array<{ spec: string; line: number }> {
  const code = stripComments(text);
  const found: Array<{ spec: string; index: number }> = [];
  for (const re of [STATIC_IMPORT, DYNAMIC_IMPORT]) {
    re.lastIndex = 0;
    for (let m = re.exec(code); m; m = re.exec(code)) found.push({ spec: m[2]!, index: m.index + m[0].indexOf(m[1]!) });
  }
  return found
    .sort((a, b) => a.index - b.index)
    .map(({ spec, index }) => ({ spec, line: code.slice(0, index).split('\n').length }));
}

function resolve(root: string, fromFile: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = path.resolve(root, path.dirname(fromFile), spec).replace(/\.js$/, '');
  for (const candidate of [`${base}.ts`, `${base}.d.ts`, path.join(base, 'index.ts')]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) {
      return path.relative(root, candidate).split(path.sep).join('/');
    }
  }
  return undefined;
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(p));
    else if (entry.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Every .ts module under `dir` (relative to `root`), with its imports resolved. */
export function readModules(root: string, dir = 'src'): Map<string, SourceModule> {
  const modules = new Map<string, SourceModule>();
  for (const abs of walk(path.join(root, dir)).sort()) {
    const file = path.relative(root, abs).split(path.sep).join('/');
    const text = fs.readFileSync(abs, 'utf8');
    const imports = importsOf(text).map(({ spec, line }) => ({ spec, line, target: resolve(root, file, spec) }));
    modules.set(file, { file, lines: text.split('\n').length - (text.endsWith('\n') ? 1 : 0), imports });
  }
  return modules;
}

/**
 * The import cycles: for every strongly connected component with more than one module (or a module
 * importing itself), concrete cycles (a → b → … → a) that together pass through all its modules.
 */
export function findCycles(modules: Map<string, SourceModule>): string[][] {
  const edges = new Map<string, string[]>();
  for (const m of modules.values()) {
    edges.set(m.file, [...new Set(m.imports.map((e) => e.target).filter((t): t is string => !!t && modules.has(t)))]);
  }
  // Tarjan's algorithm.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (edges.get(v) ?? []).includes(v)) components.push(component.sort());
    }
  };
  for (const v of [...edges.keys()].sort()) if (!index.has(v)) visit(v);
  // One shortest cycle through each module of a component that no cycle listed so far passes through.
  const cycles: string[][] = [];
  for (const component of components) {
    const covered = new Set<string>();
    for (const start of component) {
      if (covered.has(start)) continue;
      const cycle = shortestCycle(start, component, edges);
      for (const m of cycle) covered.add(m);
      cycles.push(cycle);
    }
  }
  return cycles;
}

/** A shortest cycle through `start`, staying inside its component. */
function shortestCycle(start: string, component: string[], edges: Map<string, string[]>): string[] {
  const inside = new Set(component);
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of edges.get(v) ?? []) {
      if (!inside.has(w)) continue;
      if (w === start) {
        const cycle = [start];
        for (let u = v; u !== start; u = prev.get(u)!) cycle.splice(1, 0, u);
        return [...cycle, start];
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start];
}
