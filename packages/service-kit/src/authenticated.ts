/**
 * Authenticated route scopes, the fastify way: an encapsulated plugin whose
 * `onRequest` hook calls the service's `verify(request)` and puts the result
 * on `request.device`, so handlers inside never authenticate by hand and
 * routes outside never see a device.
 *
 *     await app.register(authenticated(verifyDevice, async (scope) => {
 *       scope.get('/v1/devices', async (request) => list(request.device.accountId));
 *     }));
 *
 * `verify` throws (normally a 401 `HttpError` with a challenge header) when
 * the request does not authenticate; the hook runs before the body is
 * parsed, so an unauthenticated request costs no parsing or validation.
 * Services whose principal carries more than `AuthenticatedDevice` return a
 * subtype; handlers read the extra fields with `deviceOf<T>(request)`.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';

/** Who an authenticated request is: one device of one account. */
export interface AuthenticatedDevice {
  readonly accountId: string;
  readonly deviceId: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The device the request authenticated as. Set by the `onRequest` hook of
     * an `authenticated(...)` scope; absent on routes outside one (the type
     * says present because only handlers inside a scope read it).
     */
    device: AuthenticatedDevice;
  }
}

/** A service's check of a request's credentials. */
export type DeviceVerifier<P extends AuthenticatedDevice = AuthenticatedDevice> = (request: FastifyRequest) => P | Promise<P>;

/** The routes of one authenticated scope. */
export type AuthenticatedRoutes = (scope: FastifyInstance) => void | Promise<void>;

/** An encapsulated plugin: `verify` in an `onRequest` hook, `request.device` for the `routes` registered inside. */
export function authenticated<P extends AuthenticatedDevice>(verify: DeviceVerifier<P>, ...routes: AuthenticatedRoutes[]): FastifyPluginAsync {
  return async (scope) => {
    if (!scope.hasRequestDecorator('device')) scope.decorateRequest('device', null as unknown as AuthenticatedDevice);
    scope.addHook('onRequest', async (request) => {
      request.device = await verify(request);
    });
    for (const r of routes) await r(scope);
  };
}

/** `request.device` as the service's own principal type (what its `verify` returned). */
export function deviceOf<P extends AuthenticatedDevice>(request: FastifyRequest): P {
  return request.device as P;
}
