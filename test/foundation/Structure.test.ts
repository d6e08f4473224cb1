/**
 * The shape of src/, checked from its import graph (test/foundation/importGraph.ts): no import
 * circles, pure domain modules, media code that knows nothing of rooms, thin rooms.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { findCycles, importsOf, readModules, type SourceModule } from './importGraph';

const ROOT = path.resolve(__dirname, '../..');
const modules = readModules(ROOT);
const MAX_ROOM_LINES = 250;

function under(dir: string): SourceModule[] {
  return [...modules.values()].filter((m) => m.file.startsWith(`${dir}/`));
}

/** Each offending import as `file:line → spec`, for a readable failure. */
function offending(files: SourceModule[], bad: (spec: string, target?: string) => boolean): string[] {
  const out: string[] = [];
  for (const m of files) {
    for (const e of m.imports) if (bad(e.spec, e.target)) out.push(`${m.file}:${e.line} → ${e.spec}`);
  }
  return out;
}

describe('Structure: the import scanner', () => {
  it('finds static, type-only, multi-line, re-export, side-effect and dynamic imports, and none in comments or strings', () => {
    const text = [
      "import { a } from './a';",
      "import type { B } from '../b';",
      'import {',
      '  c,',
      '  type D,',
      "} from './c';",
      "export { e } from './e';",
      "export * from './f';",
      "import './g';",
      "import * as h from 'h';",
      "import i, { j } from '@scope/i';",
      '/* import { x } from "./commented"; */',
      "// import { y } from './commented-too';",
      " * import { z } from './in-a-doc-comment';",
      'const s = "import { w } from \'./in-a-string\'";',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the scanner's input is source text with a template literal
      'const t = `${1} import v from "./in-a-template" ${`${2}`}`;',
      "const k = await import('./k.js');",
      "const l = require('l');",
      "const glob = 'src/**/*.ts'; import { m } from './m';",
    ].join('\n');
    assert.deepEqual(
      importsOf(text).map((i) => i.spec),
      ['./a', '../b', './c', './e', './f', './g', 'h', '@scope/i', './k.js', 'l', './m'],
    );
    assert.equal(importsOf(text).find((i) => i.spec === './c')?.line, 6);
  });

  it('reads the real sources: resolves relative imports, including folder indexes and .js specifiers', () => {
    assert.ok(modules.size > 50, `only ${modules.size} modules under src/`);
    const targets = (file: string) => modules.get(file)?.imports.map((e) => e.target ?? e.spec) ?? [];
    assert.ok(targets('src/server.ts').includes('src/features.ts'));
    assert.ok(targets('src/server.ts').includes('@colyseus/core'));
    assert.ok(targets('src/features.ts').includes('src/rtc/sfu/index.ts'));
    assert.ok(targets('src/rtc/sfu/index.ts').includes('src/rtc/sfu/JanusSfu.ts'), 'the dynamic import of JanusSfu.js');
    // Every relative import resolves to a file (a miss would hide an edge from the checks below).
    const unresolved = offending([...modules.values()], (spec, target) => spec.startsWith('.') && !target);
    assert.deepEqual(unresolved, []);
  });

  it('finds a cycle, and only a cycle', () => {
    const mod = (file: string, ...targets: string[]): [string, SourceModule] => [
      file,
      { file, lines: 1, imports: targets.map((t) => ({ spec: t, target: t, line: 1 })) },
    ];
    assert.deepEqual(findCycles(new Map([mod('a', 'b'), mod('b', 'c'), mod('c')])), []);
    assert.deepEqual(findCycles(new Map([mod('a', 'b'), mod('b', 'c'), mod('c', 'a'), mod('d', 'a')])), [
      ['a', 'b', 'c', 'a'],
    ]);
    assert.deepEqual(findCycles(new Map([mod('a', 'a')])), [['a', 'a']]);
  });
});

describe('Structure of src/', () => {
  it('has no import cycle among src modules (type-only imports count)', () => {
    const cycles = findCycles(modules).map((c) => c.join(' → '));
    assert.deepEqual(cycles, [], `import cycles:\n  ${cycles.join('\n  ')}`);
  });

  it('src/domain imports nothing from colyseus, typeorm, pg, nor src/rooms, stores, context, http, db', () => {
    const forbiddenPackage = /^(colyseus|@colyseus\/.*|typeorm|pg|pg-.*)(\/.*)?$/;
    const forbiddenDir = /^src\/(rooms|stores|http|db)\/|^src\/context\.ts$/;
    const bad = offending(
      under('src/domain'),
      (spec, target) => forbiddenPackage.test(spec) || (!!target && forbiddenDir.test(target)),
    );
    assert.deepEqual(bad, [], `domain modules must stay pure:\n  ${bad.join('\n  ')}`);
  });

  it('src/rtc imports nothing from src/rooms', () => {
    const bad = offending(under('src/rtc'), (_spec, target) => !!target && target.startsWith('src/rooms/'));
    assert.deepEqual(bad, [], `src/rtc must not depend on rooms:\n  ${bad.join('\n  ')}`);
  });

  const rooms = fs
    .readdirSync(path.join(ROOT, 'src/rooms'))
    .filter((f) => f.endsWith('Room.ts'))
    .sort();
  it('finds the room files', () => {
    assert.ok(rooms.length >= 5, rooms.join(', '));
  });
  for (const room of rooms) {
    it(`src/rooms/${room} is at most ${MAX_ROOM_LINES} lines`, () => {
      const lines = modules.get(`src/rooms/${room}`)!.lines;
      assert.ok(lines <= MAX_ROOM_LINES, `src/rooms/${room} has ${lines} lines (at most ${MAX_ROOM_LINES})`);
    });
  }
});
