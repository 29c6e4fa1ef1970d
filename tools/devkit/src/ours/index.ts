/**
 * `@sealpost/devkit/ours`: a device driven by our protocol core with
 * in-memory stores (`OursPeer`, synchronous) and its scenario adapter
 * (`OursEndpoint`).
 */
export { OursPeer, type OursPeerOptions } from './peer.ts';
export { OursEndpoint, type OursEndpointOptions } from './endpoint.ts';
export { LiveSessions, SerializedSessions, type SessionKeeping } from './session-keeping.ts';
export type { EndpointId, SessionEndpoint } from '../session-endpoint.ts';
