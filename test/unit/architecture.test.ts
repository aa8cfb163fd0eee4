import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

// The import rules ARCHITECTURE.md states, checked on the sources: a rule only a document states
// is broken by the first change that forgets it.
const ROOT = resolve('.')

function sources(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out.push(...sources(path))
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path)
  }
  return out
}

/** The project folders a file imports from (`harness/runner`, `test/helpers`, `reports`), by relative specifier. */
function projectImports(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const found: string[] = []
  for (const match of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
    const target = relative(ROOT, resolve(dirname(file), match[1])).split('/')
    found.push(target[0] === 'harness' || target[0] === 'devices' || target[0] === 'test' ? `${target[0]}/${target[1]}` : target[0])
  }
  return found
}

function violations(folders: string[], allowed: (target: string, file: string) => boolean): string[] {
  return folders
    .flatMap((folder) => sources(folder))
    .flatMap((file) =>
      projectImports(file)
        .filter((target) => !allowed(target, file))
        .map((target) => `${file} imports ${target}`)
    )
}

test('product code never imports test scaffolding', () => {
  assert.deepEqual(
    violations(['harness', 'devices', 'reports', 'bin'], (target) => !target.startsWith('test')),
    []
  )
})

test('harness/interface imports nothing of the project; reports only the interface; devices never the runner', () => {
  assert.deepEqual(
    violations(['harness/interface'], (target) => target === 'harness/interface'),
    []
  )
  assert.deepEqual(
    violations(['reports'], (target) => target === 'reports' || target === 'harness/interface'),
    []
  )
  assert.deepEqual(
    violations(['devices'], (target) => target !== 'harness/runner' && target !== 'bin' && target !== 'reports'),
    []
  )
})

test('harness/worker imports only interface, protocol, scenario and fleet: a worker hosts nodes, it never runs a run', () => {
  assert.deepEqual(
    violations(
      ['harness/worker'],
      (target, file) =>
        ['harness/worker', 'harness/interface', 'harness/protocol', 'harness/scenario', 'harness/fleet'].includes(target) ||
        // the forked entry alone wires in courier's reference client for the devices placed there
        (target === 'devices/simulated-driver.js' && relative(ROOT, file) === 'harness/worker/main.ts')
    ),
    []
  )
  // and the fleet never reaches back: it takes remote nodes through its `place` hook
  assert.deepEqual(
    violations(['harness/fleet'], (target) => target !== 'harness/worker' && target !== 'harness/runner'),
    []
  )
})

test('the checks above see imports: a file that imports the runner is caught', () => {
  const found = projectImports(join(ROOT, 'bin/commands/run.ts'))
  assert.ok(found.includes('harness/runner'), found.join(', '))
  assert.ok(found.includes('reports'), found.join(', '))
})
