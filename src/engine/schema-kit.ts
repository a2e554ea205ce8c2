import { Kind, Type, TypeRegistry } from '@sinclair/typebox'

/**
 * TypeBox helpers shared by every layer's schemas.
 *
 * A string enum as a plain JSON Schema `enum` (clearer errors and OpenAPI than a union of
 * literals), registered with TypeBox so that `Value.Check` understands it too.
 */
TypeRegistry.Set<{ enum: string[] }>('StringEnum', (schema, value) => typeof value === 'string' && schema.enum.includes(value))
export const StringEnum = <T extends string>(values: readonly T[], description?: string) =>
  Type.Unsafe<T>({ [Kind]: 'StringEnum', type: 'string', enum: [...values], ...(description === undefined ? {} : { description }) })

/** An object of any fields (database settings, say), stored and echoed as given. */
export const FreeObject = (description: string) => Type.Object({}, { additionalProperties: true, description })

/** What a task id may be: chosen by a client (`X-Task-ID`, the control API) or made as a UUID. */
export const TASK_ID_PATTERN = '^[A-Za-z0-9._:-]{1,128}$'
export const TASK_ID_EXPECTED = '1 to 128 of letters, digits, ".", "_", ":" and "-"'
