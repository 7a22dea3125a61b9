export { startServer, type RunningServer } from './start-server.js'
export { toServerSettings, toListenAddress, SettingError, type ServerSettings } from './env-config.js'
export { withRequestLog } from './request-log.js'
