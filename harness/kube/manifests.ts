import { basename } from 'node:path'
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap'
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim'
import { Service } from 'kubernetes-models/v1/Service'
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet'
import { Job } from 'kubernetes-models/batch/v1/Job'
import type { IContainer } from 'kubernetes-models/v1/Container'
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec'
import { stringify } from 'yaml'
import { listBuiltinProfiles } from '../energy/index.js'
import { InvalidInputError, type InputProblem } from '../interface/index.js'
import type { LoadedScenario } from '../scenario/index.js'

/** What `courier fleet manifests` renders: the fleet kept up for outside clients, or one run as a Job. */
export type ManifestMode = 'up' | 'run'

export interface ManifestOptions {
  mode: ManifestMode
  /** A container image holding courier (the repository's Dockerfile builds one). */
  image: string
  namespace?: string
  /** `courier fleet up --for`: the pod's fleet stops by itself after this long (the StatefulSet then restarts it). */
  forArg?: string
  /** Size of the run Job's volume claim for its run directory, e.g. 1Gi. */
  storage: string
  /** The scenario file's text, carried in the ConfigMap exactly as written. */
  scenarioText: string
  /**
   * Worker pods (`courier worker --join`) that carry relays and crowd gateways beside the
   * coordinator pod (`--remote-workers N`); 0 or absent: the whole fleet in the one pod.
   */
  workers?: number
}

/** Where the coordinator pod accepts its workers. */
export const WORKER_PORT = 7400

/** Where the pod finds the scenario and writes its run directory. */
export const SCENARIO_DIR = '/etc/courier'
export const DATA_DIR = '/var/lib/courier'

// a DNS-1123 label: what Kubernetes accepts as a Service's or a namespace's name
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
// Kubernetes' quantity syntax (resource.Quantity), for the volume claim's size
const QUANTITY = /^\d+(\.\d+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/

/**
 * The Kubernetes objects that run a scenario's fleet in a cluster: a ConfigMap with the scenario,
 * a headless Service naming every node's TCP and WebSocket port (stable DNS for in-cluster clients
 * such as js-waku pods), and either a StatefulSet running `courier fleet up` (mode `up`) or a Job
 * running `courier run` with a volume claim for its run directory (mode `run`). Every object is
 * checked against Kubernetes' OpenAPI schema (kubernetes-models) before it is returned.
 *
 * With `workers`, the coordinator waits for that many worker pods (a StatefulSet in mode `up`, an
 * indexed Job in mode `run`) that join it by its Service name and carry relays and crowd
 * gateways on their own pod addresses; without, every node runs in the coordinator pod.
 */
export function renderManifests(scenario: LoadedScenario, options: ManifestOptions): object[] {
  const problems = manifestProblems(scenario, options)
  if (problems.length > 0) throw new InvalidInputError(problems)
  const { config } = scenario
  const name = resourceName(config.name)
  const base = config.network.ports!
  const workers = options.workers ?? 0
  const order = [...scenario.nodes.relays, ...scenario.nodes.stores, ...scenario.nodes.gateways]
  // node i listens on base+2i (TCP) and base+2i+1 (WebSocket): the fleet's own rule (harness/fleet)
  const ports = order.flatMap((node, i) => [
    { node, name: `n${i}-tcp`, port: base + 2 * i },
    { node, name: `n${i}-ws`, port: base + 2 * i + 1 }
  ])
  const labelsOf = (component: string): Record<string, string> => ({
    'app.kubernetes.io/name': 'courier',
    'app.kubernetes.io/instance': name,
    'app.kubernetes.io/component': component
  })
  const labels = labelsOf(options.mode === 'up' ? 'fleet' : 'run')
  const workerLabels = labelsOf('worker')
  const metadata = (suffix: string, own = labels): { name: string; namespace?: string; labels: Record<string, string> } => ({
    name: suffix === '' ? name : `${name}-${suffix}`,
    ...(options.namespace == null ? {} : { namespace: options.namespace }),
    labels: own
  })
  const tcp = 'TCP' as const
  const containerPorts = ports.map((p) => ({ name: p.name, containerPort: p.port, protocol: tcp }))
  const scenarioFile = basename(scenario.file)
  const configMap = new ConfigMap({ metadata: metadata('scenario'), data: { [scenarioFile]: options.scenarioText } })
  const service = new Service({
    metadata: metadata(''),
    spec: {
      clusterIP: 'None',
      // clients need the nodes' addresses while the fleet starts, not only once it is ready
      publishNotReadyAddresses: true,
      selector: labels,
      ports: [
        ...ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.port, protocol: tcp })),
        ...(workers > 0 ? [{ name: 'workers', port: WORKER_PORT, targetPort: WORKER_PORT, protocol: tcp }] : [])
      ]
    }
  })
  const scenarioPath = `${SCENARIO_DIR}/${scenarioFile}`
  // the coordinator waits for its worker pods, which Kubernetes may schedule after it
  const coordinate = workers > 0 ? ['--remote-workers', String(workers), '--worker-listen', `$(POD_IP):${WORKER_PORT}`, '--worker-wait', '600'] : []
  const args =
    options.mode === 'up'
      ? [
          'fleet',
          'up',
          scenarioPath,
          '--fleet-host',
          '$(POD_IP)',
          '--out',
          `${DATA_DIR}/fleet`,
          '--no-progress',
          ...coordinate,
          ...(options.forArg == null ? [] : ['--for', options.forArg])
        ]
      : [
          'run',
          scenarioPath,
          '--fleet-host',
          '$(POD_IP)',
          '--out',
          `${DATA_DIR}/runs/${name}`,
          '--junit',
          `${DATA_DIR}/runs/${name}/junit.xml`,
          '--no-progress',
          ...coordinate
        ]
  // the nodes announce the pod's own address, which is known only once the pod runs
  const podIp = { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }
  const container: IContainer = {
    name: 'courier',
    image: options.image,
    args,
    env: [podIp],
    ports: [...containerPorts, ...(workers > 0 ? [{ name: 'workers', containerPort: WORKER_PORT, protocol: tcp }] : [])],
    volumeMounts: [
      { name: 'scenario', mountPath: SCENARIO_DIR, readOnly: true },
      { name: 'data', mountPath: DATA_DIR }
    ],
    // tcpdump needs raw sockets; without them `capture: auto` falls back to socket accounting
    ...(config.capture === 'off' || config.capture === 'socket' ? {} : { securityContext: { capabilities: { add: ['NET_RAW', 'NET_ADMIN'] } } })
  }
  const pod = (data: NonNullable<IPodSpec['volumes']>[number], extra: Partial<IPodSpec>): IPodSpec => ({
    containers: [container],
    // courier stops every node in reverse order on SIGTERM; give it the time a run's teardown takes
    terminationGracePeriodSeconds: 60,
    volumes: [{ name: 'scenario', configMap: { name: configMap.metadata!.name! } }, data],
    ...extra
  })
  const objects: Array<ConfigMap | Service | StatefulSet | Job | PersistentVolumeClaim> = [configMap, service]
  if (options.mode === 'up') {
    container.readinessProbe = { tcpSocket: { port: ports[0].port }, periodSeconds: 2 }
    objects.push(
      new StatefulSet({
        metadata: metadata('fleet'),
        spec: {
          serviceName: service.metadata!.name!,
          replicas: 1,
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: pod({ name: 'data', emptyDir: {} }, {}) }
        }
      })
    )
  } else {
    const claim = new PersistentVolumeClaim({
      metadata: metadata('runs'),
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: options.storage } } }
    })
    objects.push(
      claim,
      new Job({
        metadata: metadata('run'),
        spec: {
          // a run that failed its thresholds must stay failed, not be retried into a pass
          backoffLimit: 0,
          template: {
            metadata: { labels },
            spec: pod({ name: 'data', persistentVolumeClaim: { claimName: claim.metadata!.name! } }, { restartPolicy: 'Never' })
          }
        }
      })
    )
  }
  if (workers > 0) objects.push(...workerObjects(options, service.metadata!.name!, metadata('workers', workerLabels), workerLabels, containerPorts))
  for (const object of objects) object.validate()
  return objects.map((object) => object.toJSON() as object)
}

/**
 * The worker pods: each joins the coordinator by its Service's name, and its nodes listen and
 * announce on its own pod address (`--host $(POD_IP)`), on the same ports as they would in the
 * coordinator. Mode `up`: a StatefulSet, since a worker whose fleet went away exits and is started
 * again to join the next one; mode `run`: a Job of `workers` completions that ends with the run.
 */
function workerObjects(
  options: ManifestOptions,
  coordinator: string,
  metadata: { name: string; namespace?: string; labels: Record<string, string> },
  labels: Record<string, string>,
  ports: IContainer['ports']
): Array<Service | StatefulSet | Job> {
  const workers = options.workers ?? 0
  const container: IContainer = {
    name: 'courier-worker',
    image: options.image,
    args: ['worker', '--join', `${coordinator}:${WORKER_PORT}`, '--host', '$(POD_IP)', '--wait', '600'],
    env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
    ports
  }
  const spec: IPodSpec = { containers: [container], terminationGracePeriodSeconds: 30 }
  // a StatefulSet needs a governing headless Service of its own; the coordinator's selects the coordinator
  const service = new Service({ metadata, spec: { clusterIP: 'None', publishNotReadyAddresses: true, selector: labels } })
  if (options.mode === 'up')
    return [
      service,
      new StatefulSet({
        metadata,
        spec: {
          serviceName: metadata.name,
          replicas: workers,
          podManagementPolicy: 'Parallel',
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec }
        }
      })
    ]
  return [
    new Job({
      metadata,
      spec: { completions: workers, parallelism: workers, backoffLimit: 0, template: { metadata: { labels }, spec: { ...spec, restartPolicy: 'Never' } } }
    })
  ]
}

/** The manifests as one multi-document YAML stream, in the order `kubectl apply -f` should create them. */
export function manifestsYaml(objects: readonly object[]): string {
  return objects.map((object) => stringify(object, { lineWidth: 0 })).join('---\n')
}

/** A DNS-1123 label from a scenario name: what `courier-<name>` becomes as a Kubernetes name. */
export function resourceName(scenarioName: string): string {
  const slug = scenarioName
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
  // room for the longest suffix (-scenario) within a label's 63 characters
  return `courier-${slug}`.slice(0, 63 - '-scenario'.length).replace(/-+$/, '')
}

function manifestProblems(scenario: LoadedScenario, options: ManifestOptions): InputProblem[] {
  const { config } = scenario
  const problems: InputProblem[] = []
  if (config.network.ports == null) {
    problems.push({
      location: scenario.locate(['network']),
      path: 'network.ports',
      message: 'a fleet in a cluster needs stable ports',
      expected: 'network.ports: a base port (node i listens on base+2i and base+2i+1)',
      hint: 'add e.g. `ports: 60000` under network: the Service and the pod declare these ports'
    })
  }
  const builtIn = new Set(listBuiltinProfiles().map((p) => p.name))
  for (const [device, spec] of Object.entries(config.devices)) {
    if (spec.driver === 'appium' && options.mode === 'run') {
      problems.push({
        location: scenario.locate(['devices', device, 'driver']),
        path: `devices.${device}.driver`,
        message: 'a phone cannot run inside a pod',
        found: 'appium',
        hint: 'render --mode up and point the phone at the fleet, or run this scenario where the phone is'
      })
    }
    if (spec.radio != null && !builtIn.has(spec.radio)) {
      problems.push({
        location: scenario.locate(['devices', device, 'radio']),
        path: `devices.${device}.radio`,
        message: 'a radio profile file is not carried into the cluster',
        expected: `a built-in profile: ${[...builtIn].join(', ')}`,
        found: spec.radio
      })
    }
  }
  if (options.namespace != null && (!DNS_LABEL.test(options.namespace) || options.namespace.length > 63)) {
    problems.push({
      location: { file: '--namespace' },
      path: '',
      message: 'not a Kubernetes namespace name',
      expected: 'lowercase letters, digits and -, starting and ending with a letter or digit, at most 63 characters',
      found: options.namespace
    })
  }
  if (options.image.trim() === '' || /\s/.test(options.image)) {
    problems.push({
      location: { file: '--image' },
      path: '',
      message: 'not a container image reference',
      expected: 'e.g. registry.example/courier:0.1.0',
      found: options.image
    })
  }
  if (!QUANTITY.test(options.storage)) {
    problems.push({ location: { file: '--storage' }, path: '', message: 'not a Kubernetes quantity', expected: 'e.g. 1Gi or 500Mi', found: options.storage })
  }
  if ((options.workers ?? 0) > 0) {
    // the runner keeps every node in its own process for node links (harness/worker's placement),
    // and worker pods would wait for a run that never takes them
    const gated = config.timeline.findIndex((entry) => entry.link?.node != null)
    if (gated >= 0)
      problems.push({
        location: scenario.locate(['timeline', gated]),
        path: `timeline[${gated}]`,
        message: 'links between fleet nodes are shaped in the coordinator pod only',
        hint: 'render without --worker-pods'
      })
    else if (config.network.links != null)
      problems.push({
        location: scenario.locate(['network', 'links']),
        path: 'network.links',
        message: 'links between fleet nodes are shaped in the coordinator pod only',
        hint: 'render without --worker-pods'
      })
  }
  if (resourceName(config.name) === 'courier') {
    problems.push({
      location: scenario.locate(['name']),
      path: 'name',
      message: 'gives no Kubernetes name',
      expected: 'a name with at least one letter or digit',
      found: config.name
    })
  }
  return problems
}
