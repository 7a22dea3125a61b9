import type { ConfigReader } from './config-reader.js'

/** `ui` (wharf only): the web UI at `/ui/` (see @wharf/ui). */
export interface UiConfig {
  /** Default true; `REGISTRY_UI_ENABLED=false` turns it off (then `/` answers 200 as registry:2's does). */
  enabled: boolean
}

/** Reads `ui.enabled`. */
export function readUi(r: ConfigReader): UiConfig {
  return { enabled: r.boolean('ui.enabled') ?? true }
}
