// Radio energy models driven by packet timelines. See README.md in this folder.
export { priceTimeline, compareRadios, NOMINAL_VOLTAGE } from './price.js'
export type { PriceOptions } from './price.js'
export { IDLE_LABEL, UNLABELLED } from './report-types.js'
export type { EnergyKind, EnergyReport, StateSpan, TimeAndEnergy, RadioComparison, RadioComparisonRow } from './report-types.js'
export { loadRadioProfile, loadRadioProfileFile, parseRadioProfile, listBuiltinProfiles } from './profiles.js'
export type { BuiltinProfileInfo } from './profiles.js'
export { radioProfileSchema } from './profile-schema.js'
export type {
  RadioProfile,
  RadioProfileInput,
  RadioModel,
  TailModelProfile,
  EnergyBox3gProfile,
  EnergyBoxWifiProfile,
  PhaseSpec,
  PulseSpec
} from './profile-schema.js'
export { parseEnergyBoxConfig, energyBoxProfileFromConfigs, loadEnergyBoxProfile } from './energybox-config.js'
export type { EnergyBoxConfig, EnergyBoxConfigType } from './energybox-config.js'
export { parseJavaProperties } from './java-properties.js'
export type { PropertyEntry } from './java-properties.js'
export {
  energyBoxStates3g,
  energyBoxStatesWifi,
  energyBoxTraceEnergy,
  formatEnergyBoxCsv,
  parseEnergyBoxCsv,
  javaDouble
} from './energybox-trace.js'
export type { EnergyBoxTraceOptions } from './energybox-trace.js'
export { EB3G, EBWIFI } from './energybox.js'
export type { EnergyBoxPoint, EnergyBoxWifiQuirks } from './energybox.js'
export { chooseDeviceAddress, radioPacketsFromCapture } from './capture-timeline.js'
export type { DeviceAddressChoice, DeviceAddressRule, CaptureTimeline, CaptureTimelineOptions } from './capture-timeline.js'
