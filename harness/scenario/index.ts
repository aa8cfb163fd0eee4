export * from './schema.js'
export * from './load.js'
export * from './units.js'
export * from './random.js'
