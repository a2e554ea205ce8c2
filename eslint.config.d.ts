// Types of eslint.config.js, for the layer test that reads its table of layers.
export declare const LAYERS: Record<string, { may: string[], packages: string[] }>
declare const config: unknown[]
export default config
