/**
 * Request validation both services use: JSON bodies are validated exactly
 * as sent — no type coercion (`"deviceId": "1"` is refused, not read as 1),
 * no silent removal of unknown properties. Path parameters, query strings
 * and headers are strings on the wire, so there (and only there) a string
 * is converted to the scalar type the schema names (`coerceTypes: true`,
 * not `'array'`: a repeated query parameter is refused, not made a list).
 *
 *     Fastify({ ...validationOptions(), ... })
 *
 * Built on @fastify/ajv-compiler (fastify's own compiler), one Ajv instance
 * per policy, so shared schemas (`app.addSchema`) work in both.
 */
import AjvCompiler from '@fastify/ajv-compiler';
import type { FastifyServerOptions } from 'fastify';

/** Ajv options of both policies (bodies add `coerceTypes: false`, the other parts `coerceTypes: true`). */
export const AJV_OPTIONS = { removeAdditional: false, allErrors: false } as const;

interface RouteDefinition {
  schema: unknown;
  method: string;
  url: string;
  httpPart?: string;
}
type ValidatorCompiler = (route: RouteDefinition) => unknown;
type ValidatorFactory = (externalSchemas: Record<string, unknown>, options?: { customOptions?: Record<string, unknown> }) => ValidatorCompiler;

/** The `schemaController.compilersFactory.buildValidator` that applies the policy above. */
export function bodyStrictValidatorFactory(): ValidatorFactory {
  const pool = AjvCompiler() as unknown as ValidatorFactory;
  return (externalSchemas, options = {}) => {
    const body = pool(externalSchemas, { ...options, customOptions: { ...options.customOptions, ...AJV_OPTIONS, coerceTypes: false } });
    const wire = pool(externalSchemas, { ...options, customOptions: { ...options.customOptions, ...AJV_OPTIONS, coerceTypes: true } });
    return (route) => (route.httpPart === 'body' ? body(route) : wire(route));
  };
}

/** Fastify server options carrying the policy (spread into `Fastify({...})`). */
export function validationOptions(): Pick<FastifyServerOptions, 'schemaController'> {
  return {
    schemaController: { compilersFactory: { buildValidator: bodyStrictValidatorFactory() as never } },
  };
}
