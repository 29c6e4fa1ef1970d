/**
 * `@sealpost/devkit/libsignal`: libsignal-client 0.90.0 as the independently
 * written peer — its in-memory stores, a device (`LibsignalPeer`), the
 * scenario adapter (`LibsignalEndpoint`) and loading keys we choose into it.
 * AGPL: dev-only, never imported by a shipped package.
 */
export * from './stores.ts';
export * from './peer.ts';
export * from './endpoint.ts';
export * from './fixed-keys.ts';
export * from './sender-key-store.ts';
export type { EndpointId, SessionEndpoint } from '../session-endpoint.ts';
