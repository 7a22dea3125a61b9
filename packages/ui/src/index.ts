/**
 * @wharf/ui: a web UI for a wharf registry, as a Web-standard handler (`createUi(...).fetch`) that
 * any adapter mounts beside /v2 (the standalone server serves it at `/ui/`).
 */
export { createUi, type UiHandler, type UiOptions, type UiStatus } from './server/create-ui.js'
