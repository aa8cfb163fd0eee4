import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { copyFile, readFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet'
import { Job } from 'kubernetes-models/batch/v1/Job'
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap'
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim'
import { Service } from 'kubernetes-models/v1/Service'
import { parseAllDocuments } from 'yaml'
import type { FleetFile } from '../../harness/interface/index.js'
import { REPO_ROOT, runCourier, startCourier, tempDir, writeScenario, type CliResult } from '../helpers/cli.js'
import { freeBasePort } from '../helpers/ports.js'
import { nightlyTest, test } from '../helpers/suite.js'

const SCENARIO = (ports: number): string => `name: Kube E2E
seed: 4
duration: 3s
grace: 1s
network: { relays: 2, stores: 1, ports: ${ports} }
crowd: { topic: lobby, users: 20, rate: 2/s, gateways: 1 }
devices:
  alice: { topics: [lobby] }
capture: socket
harness: { maxLagP99: 400ms }
expect:
  delivery.loss: "== 0"
`

// Kubernetes' schema for each kind, as kubectl would check the printed text (not courier's objects)
const MODELS = { ConfigMap, Service, StatefulSet, Job, PersistentVolumeClaim } as const
interface Container {
  image: string
  args: string[]
  env: Array<{ name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }>
  ports: Array<{ containerPort: number | string }>
  readinessProbe: { tcpSocket: { port: number } }
}
interface PodSpec {
  containers: Container[]
  volumes: Array<{ name: string; configMap?: { name: string }; persistentVolumeClaim?: { claimName: string } }>
  restartPolicy?: string
}
/** The fields of the printed objects these tests read; each kind fills its own. */
interface Spec {
  clusterIP: string
  ports: Array<{ port: number }>
  selector?: Record<string, string> & { matchLabels?: Record<string, string> }
  template: { metadata: { labels: Record<string, string> }; spec: PodSpec }
  backoffLimit: number
  resources: { requests: { storage: string } }
}
type Manifest = { kind: keyof typeof MODELS; metadata: { name: string; namespace?: string }; spec: Spec; data?: Record<string, string> }

function parseManifests(text: string): Manifest[] {
  const docs = parseAllDocuments(text)
  assert.ok(Array.isArray(docs), 'a YAML stream of documents')
  return docs.map((doc) => {
    assert.deepEqual(doc.errors, [], 'each document is valid YAML')
    return doc.toJS() as Manifest
  })
}

function validateAgainstKubernetes(manifest: Manifest): void {
  const Model = MODELS[manifest.kind] as unknown as new (value: unknown) => { validate(): void }
  assert.ok(Model != null, `a kind kubectl knows: ${manifest.kind}`)
  new Model(manifest).validate()
}

/** The pod's command as the kubelet would run it here: $(POD_IP) is loopback, the mounts are temp paths. */
function localArgs(args: string[], file: string, dataDir: string): string[] {
  return args.map((arg) =>
    arg
      .replace('$(POD_IP)', '127.0.0.1')
      .replace(/^\/etc\/courier\/.*/, file)
      .replace(/^\/var\/lib\/courier/, dataDir)
  )
}

test('courier fleet manifests (up): valid Kubernetes objects whose pod command, run here, listens on exactly the ports its Service and container declare', async () => {
  const dir = await tempDir()
  const base = await freeBasePort()
  const file = await writeScenario(dir, 'kube.yaml', SCENARIO(base))
  const rendered = await runCourier(['fleet', 'manifests', file, '--namespace', 'qa', '--image', 'registry.test/courier:1'])
  assert.equal(rendered.code, 0, rendered.stderr)
  const manifests = parseManifests(rendered.stdout)
  assert.deepEqual(
    manifests.map((m) => [m.kind, m.metadata.name, m.metadata.namespace]),
    [
      ['ConfigMap', 'courier-kube-e2e-scenario', 'qa'],
      ['Service', 'courier-kube-e2e', 'qa'],
      ['StatefulSet', 'courier-kube-e2e-fleet', 'qa']
    ]
  )
  for (const manifest of manifests) validateAgainstKubernetes(manifest)
  const [configMap, service, statefulSet] = manifests
  assert.equal(configMap.data?.['kube.yaml'], await readFile(file, 'utf8'), 'the scenario travels as written')
  assert.equal(service.spec.clusterIP, 'None', 'headless: each node keeps its pod address')
  const pod = statefulSet.spec.template.spec
  const container = pod.containers[0]
  assert.equal(container.image, 'registry.test/courier:1')
  assert.deepEqual(
    service.spec.ports.map((p) => p.port),
    container.ports.map((p) => p.containerPort),
    'the Service routes to the ports the container declares'
  )
  assert.deepEqual(statefulSet.spec.selector?.matchLabels, service.spec.selector)
  assert.deepEqual(statefulSet.spec.template.metadata.labels, service.spec.selector, 'the Service selects the fleet pod')
  assert.equal(pod.volumes.find((v) => v.name === 'scenario')?.configMap?.name, configMap.metadata.name)
  assert.ok(
    container.env.some(
      (e: { name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }) => e.name === 'POD_IP' && e.valueFrom?.fieldRef?.fieldPath === 'status.podIP'
    )
  )

  // the declared ports must be the ones the fleet really listens on: run the pod's own command here
  const out = join(dir, 'data')
  const up = startCourier([...localArgs(container.args, file, out), '--for', '20s'])
  let ended: CliResult | undefined
  void up.done.then((result) => {
    ended = result
  })
  try {
    const fleetJson = join(out, 'fleet', 'fleet.json')
    for (let i = 0; i < 300 && !existsSync(fleetJson) && ended == null; i++) await sleep(100)
    assert.equal(ended, undefined, `the pod's command ended early: ${ended?.stderr ?? ''}`)
    const fleet = JSON.parse(await readFile(fleetJson, 'utf8')) as FleetFile
    const listening = fleet.nodes.flatMap((node) => node.multiaddrs.map((addr) => Number(/\/tcp\/(\d+)/.exec(addr)?.[1])))
    assert.deepEqual(
      [...listening].sort((a, b) => a - b),
      service.spec.ports.map((p) => p.port)
    )
    for (const port of listening) {
      await new Promise<void>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.destroy()
          resolve()
        })
        socket.once('error', reject)
      })
    }
    assert.equal(container.readinessProbe.tcpSocket.port, listening[0], "the readiness probe knocks on the first relay's TCP port")
  } finally {
    up.child.kill('SIGINT')
    const result = await up.done
    assert.equal(result.code, 130, result.stderr)
  }
})

// npm test runs the Job's command in the --worker-pods test below
nightlyTest(
  'courier fleet manifests --mode run: a Job that fails with the run, a claim for its run directory, and a command that runs the scenario',
  async () => {
    const dir = await tempDir()
    const file = await writeScenario(dir, 'kube.yaml', SCENARIO(await freeBasePort()))
    const target = join(dir, 'manifests.yaml')
    const rendered = await runCourier(['fleet', 'manifests', file, '--mode', 'run', '--storage', '2Gi', '--out', target])
    assert.equal(rendered.code, 0, rendered.stderr)
    assert.equal(rendered.stdout, '', '--out writes the file, not stdout')
    const manifests = parseManifests(await readFile(target, 'utf8'))
    assert.deepEqual(
      manifests.map((m) => m.kind),
      ['ConfigMap', 'Service', 'PersistentVolumeClaim', 'Job']
    )
    for (const manifest of manifests) validateAgainstKubernetes(manifest)
    const [, , claim, job] = manifests
    assert.equal(claim.spec.resources.requests.storage, '2Gi')
    assert.equal(job.spec.backoffLimit, 0, 'a failed run is not retried into a pass')
    const pod = job.spec.template.spec
    assert.equal(pod.restartPolicy, 'Never')
    assert.equal(pod.volumes.find((v) => v.name === 'data')?.persistentVolumeClaim?.claimName, claim.metadata.name)
    const container = pod.containers[0]
    assert.equal(container.image, 'courier:latest')

    const data = join(dir, 'data')
    const run = await runCourier(localArgs(container.args, file, data))
    assert.equal(run.code, 0, run.stdout + run.stderr)
    const runDir = join(data, 'runs', 'courier-kube-e2e')
    const results = JSON.parse(await readFile(join(runDir, 'results.json'), 'utf8')) as { verdict: string }
    assert.equal(results.verdict, 'pass')
    assert.match(await readFile(join(runDir, 'junit.xml'), 'utf8'), /<testsuite/)
  }
)

test('--worker-pods: the coordinator waits for worker pods that join it by its Service name; both commands, run here, carry the run between them', async () => {
  const dir = await tempDir()
  const file = await writeScenario(dir, 'kube.yaml', SCENARIO(await freeBasePort()))
  const rendered = await runCourier(['fleet', 'manifests', file, '--mode', 'run', '--worker-pods', '1'])
  assert.equal(rendered.code, 0, rendered.stderr)
  const manifests = parseManifests(rendered.stdout)
  assert.deepEqual(
    manifests.map((m) => [m.kind, m.metadata.name]),
    [
      ['ConfigMap', 'courier-kube-e2e-scenario'],
      ['Service', 'courier-kube-e2e'],
      ['PersistentVolumeClaim', 'courier-kube-e2e-runs'],
      ['Job', 'courier-kube-e2e-run'],
      ['Job', 'courier-kube-e2e-workers']
    ]
  )
  for (const manifest of manifests) validateAgainstKubernetes(manifest)
  const [, service, , coordinatorJob, workerJob] = manifests
  assert.ok(
    service.spec.ports.some((p) => p.port === 7400),
    'the Service routes the workers to the coordinator'
  )
  const coordinator = coordinatorJob.spec.template.spec.containers[0]
  const worker = workerJob.spec.template.spec.containers[0]
  assert.deepEqual(worker.args.slice(0, 3), ['worker', '--join', 'courier-kube-e2e:7400'])
  assert.notDeepEqual(workerJob.spec.template.metadata.labels, service.spec.selector, "the coordinator's Service does not select the workers")

  // here the Service's name and port are loopback and a free port, as the cluster's DNS would route them
  const port = await freeBasePort(1)
  const route = (args: string[]): string[] =>
    args.map((arg) => arg.replace('courier-kube-e2e:7400', `127.0.0.1:${port}`).replace('$(POD_IP):7400', `127.0.0.1:${port}`))
  const data = join(dir, 'data')
  const run = startCourier(localArgs(route(coordinator.args), file, data))
  const joined = startCourier(localArgs(route(worker.args), file, data))
  const [runResult, workerResult] = await Promise.all([run.done, joined.done])
  assert.equal(runResult.code, 0, runResult.stdout + runResult.stderr)
  assert.equal(workerResult.code, 0, workerResult.stderr)
  const runDir = join(data, 'runs', 'courier-kube-e2e')
  const events = await readFile(join(runDir, 'events.ndjson'), 'utf8')
  const placement = events
    .split('\n')
    .filter((line) => line.includes('"workers.placement"'))
    .map((line) => JSON.parse(line) as { byWorker: Record<string, string[]> })[0]
  assert.ok((placement?.byWorker['remote-1'] ?? []).length > 0, 'the worker pod carried nodes')
  assert.equal((JSON.parse(await readFile(join(runDir, 'results.json'), 'utf8')) as { verdict: string }).verdict, 'pass')
})

test("the README's scenario renders; the schema check is real: a wrong field type or a missing required field is refused by it", async () => {
  const rendered = await runCourier(['fleet', 'manifests', join(REPO_ROOT, 'scenarios/cluster-fleet.yaml')])
  assert.equal(rendered.code, 0, rendered.stderr)
  const manifests = parseManifests(rendered.stdout)
  for (const manifest of manifests) validateAgainstKubernetes(manifest)
  const statefulSet = manifests[2]
  const withWorkers = await runCourier(['fleet', 'manifests', join(REPO_ROOT, 'scenarios/cluster-fleet.yaml'), '--worker-pods', '2'])
  assert.equal(withWorkers.code, 0, withWorkers.stderr)
  const spread = parseManifests(withWorkers.stdout)
  for (const manifest of spread) validateAgainstKubernetes(manifest)
  const workerSet = spread.find((m) => m.kind === 'StatefulSet' && m.metadata.name.endsWith('-workers'))
  assert.ok(workerSet != null)
  assert.equal((workerSet.spec as unknown as { replicas: number }).replicas, 2, 'mode up: a StatefulSet of two worker pods')
  // 3 relays, 2 stores and the crowd's 2 gateways, from 60000 up: two ports each
  assert.deepEqual(
    statefulSet.spec.template.spec.containers[0].ports.map((p) => p.containerPort),
    Array.from({ length: 14 }, (_, i) => 60000 + i)
  )
  const wrongType = structuredClone(statefulSet)
  wrongType.spec.template.spec.containers[0].ports[0].containerPort = 'n0-tcp'
  assert.throws(() => validateAgainstKubernetes(wrongType), /containerPort must be integer/)
  const noSelector = structuredClone(statefulSet)
  delete noSelector.spec.selector
  assert.throws(() => validateAgainstKubernetes(noSelector), /selector/)
})

test('courier fleet manifests refuses what cannot run in a pod, naming the file, line and field; exit 2, no stack trace', async () => {
  const dir = await tempDir()
  const noPorts = await writeScenario(dir, 'no-ports.yaml', 'name: np\nduration: 2s\nnetwork: { relays: 1 }\ndevices:\n  a: {}\n')
  // a valid profile, but a file of its own that the ConfigMap does not carry
  await copyFile(join(REPO_ROOT, 'harness/energy/profiles/lte.json'), join(dir, 'my-profile.json'))
  const radio = await writeScenario(
    dir,
    'radio.yaml',
    'name: r\nduration: 2s\nnetwork: { relays: 1, ports: 30000 }\ndevices:\n  a: { radio: ./my-profile.json }\n'
  )
  // node links are shaped in courier's own process: worker pods would wait for nodes that never come
  const linked = await writeScenario(
    dir,
    'linked.yaml',
    'name: l\nduration: 4s\nnetwork: { relays: 2, ports: 30000 }\ndevices:\n  a: {}\ntimeline:\n  - { at: 1s, link: { node: relay-2, to: { latency: 200ms } } }\n'
  )
  // each is a process of its own that stops at validation: side by side
  const [result, radioResult, linkedResult] = await Promise.all([
    runCourier(['fleet', 'manifests', noPorts]),
    runCourier(['fleet', 'manifests', radio]),
    runCourier(['fleet', 'manifests', linked, '--worker-pods', '2'])
  ])
  assert.equal(result.code, 2)
  assert.match(result.stderr, /no-ports\.yaml:3/)
  assert.match(result.stderr, /network\.ports/)
  assert.doesNotMatch(result.stderr, /\n\s+at /)
  assert.equal(result.stdout, '', 'nothing half-rendered')
  assert.equal(radioResult.code, 2)
  assert.match(radioResult.stderr, /devices\.a\.radio/)
  assert.equal(linkedResult.code, 2, linkedResult.stderr)
  assert.match(linkedResult.stderr, /linked\.yaml:7.*timeline\[0\]/)

  const base = await writeScenario(dir, 'ok.yaml', 'name: ok\nduration: 2s\nnetwork: { relays: 1, ports: 30000 }\ndevices:\n  a: {}\n')
  const cases = [
    [['--namespace', 'QA_team'], /--namespace/],
    [['--storage', 'lots'], /--storage/],
    [['--mode', 'soak'], /mode/],
    [['--for', 'soon'], /--for/],
    [['--worker-pods', '0'], /--worker-pods|--remote-workers/]
  ] as const
  // each is a process of its own that stops at its flags: side by side
  const results = await Promise.all(cases.map(async ([args]) => await runCourier(['fleet', 'manifests', base, ...args])))
  for (const [i, [args, field]] of cases.entries()) {
    const bad = results[i]
    assert.equal(bad.code, 2, `${args.join(' ')}: ${bad.stderr}`)
    assert.match(bad.stderr, field)
    assert.doesNotMatch(bad.stderr, /\n\s+at /)
  }
})
