/**
 * @sealpost/service-kit — what the key server and the relay share: the
 * error class and uniform error body, the shared error schema, strict
 * base64, the flags+env config loader, authenticated route scopes and CORS
 * for configured browser origins.
 * The SQLite migration runner lives at `@sealpost/service-kit/sqlite-migrations`
 * (it has no fastify dependency, so the client's SQLite store can use it).
 */
export { HttpError, KIT_ERROR_CODES, type HttpErrorOptions, type KitErrorCode } from './http-error.ts';
export {
  clientErrorHandler,
  errorBody,
  fastifyErrorCode,
  frameworkErrors,
  installErrorHandling,
  sendError,
  toHttpError,
  type ErrorBody,
} from './error-handler.ts';
export { AJV_OPTIONS, bodyStrictValidatorFactory, validationOptions } from './validation.ts';
export { ERROR_BODY_SCHEMA_ID, errorBodyRef, errorBodySchema, withErrors, type ErrorStatus } from './schemas.ts';
export { base64Length, decodeBase64Field, encodeBase64, parseBase64 } from './base64.ts';
export { clientAddressKey } from './client-address.ts';
export {
  ConfigError,
  configMarkdown,
  configUsage,
  loadConfig,
  parseBoolean,
  parseInteger,
  parseOneOf,
  parsePort,
  parseString,
  parseList,
  parseRateLimit,
  showRateLimit,
  CONFIG_FILE_FLAG,
  type BucketRate,
  type Config,
  type ConfigOption,
  type ConfigSources,
  type ConfigSpec,
  type ConfigValue,
} from './config.ts';
export { authenticated, deviceOf, type AuthenticatedDevice, type AuthenticatedRoutes, type DeviceVerifier } from './authenticated.ts';
export { parseInstant, parseRelayPublicKey, rotatingVerifier, type CredentialKeys } from './credential-key.ts';
export {
  CORS_ALLOWED_HEADERS,
  CORS_EXPOSED_HEADERS,
  CORS_MAX_AGE_SECONDS,
  CORS_ORIGINS_OPTION,
  installCors,
  originAllowed,
  parseCorsOrigins,
  refuseForeignWebSocketOrigins,
} from './cors.ts';
export { exitOnSignals, type ClosableService, type ExitOnSignalsOptions } from './shutdown.ts';
