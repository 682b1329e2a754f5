import type { CompiledQuery } from 'kysely';

// Compiling a query with kysely (build the operation tree, freeze it, walk it to SQL) costs more
// than SQLite takes to run a point query. The hot queries are therefore compiled once, with a
// unique placeholder for each parameter, and every call only fills the parameter array in.

const placeholder = (name: string) => `\u0000custgate-param:${name}\u0000`;

/**
 * `compile` is called once with placeholders in place of the named values; the result binds real
 * values by name. Only for queries whose SQL text does not depend on the values (no `undefined`
 * members to skip, no lists): the placeholders must all come back as parameters.
 */
export function prepared<P extends object, O = unknown>(
  names: readonly (keyof P & string)[],
  compile: (params: P) => CompiledQuery<O>,
): (params: P) => CompiledQuery<O> {
  const byPlaceholder = new Map(names.map((name) => [placeholder(name), name] as const));
  const compiled = compile(Object.fromEntries(names.map((name) => [name, placeholder(name)])) as P);
  const slots = compiled.parameters.map((value) => (typeof value === 'string' ? byPlaceholder.get(value) : undefined));
  const constants = compiled.parameters;
  for (const name of names) {
    if (!slots.includes(name)) throw new Error(`prepared query: parameter ${name} did not reach the SQL`);
  }
  return (params) => ({
    query: compiled.query,
    queryId: compiled.queryId,
    sql: compiled.sql,
    parameters: slots.map((name, i) => (name === undefined ? constants[i] : params[name])),
  });
}
