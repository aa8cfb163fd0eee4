export { DATA_DIR, manifestsYaml, renderManifests, resourceName, SCENARIO_DIR, type ManifestMode, type ManifestOptions } from './manifests.js'
