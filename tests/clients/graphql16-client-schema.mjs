// graphql-js 16 (what Apollo 4, codegen and graphql-eslint run on) builds its client schema from the gateway's
// introspection with every graphql-16 option on, and that schema is the repository's schema.graphql: nothing the
// SDL declares (descriptions, deprecations, @specifiedBy, repeatable directives, @oneOf) is lost on the way.
//   node graphql16-client-schema.mjs '{"url":"http://.../graphql"}'
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, isScalarType, lexicographicSortSchema, printSchema, version } from 'graphql';
import { args, root, run, servedSchema } from './lib/gateway.mjs';

await run(async () => {
  const { url, token } = args();
  const { introspection, schema, sdl } = await servedSchema(url, token);
  const served = printSchema(lexicographicSortSchema(schema)).split('\n');
  const snapshot = printSchema(lexicographicSortSchema(buildSchema(readFileSync(join(root, '..', '..', 'schema.graphql'), 'utf8')))).split('\n');
  // Line by line from the first difference on (a missing description shifts everything after it).
  const first = served.findIndex((line, i) => line !== snapshot[i]);
  const differences = served.length === snapshot.length && first < 0 ? [] : [
    `first difference at line ${first < 0 ? Math.min(served.length, snapshot.length) : first}`,
    ...served.slice(Math.max(first, 0), Math.max(first, 0) + 5).map((line) => `served:   ${line}`),
    ...snapshot.slice(Math.max(first, 0), Math.max(first, 0) + 5).map((line) => `snapshot: ${line}`),
  ];
  const directives = introspection.__schema.directives;
  return {
    graphqlVersion: version,
    description: schema.description ?? null,
    types: Object.keys(schema.getTypeMap()).length,
    sdlLines: sdl.split('\n').length,
    specifiedByURLs: Object.fromEntries(Object.values(schema.getTypeMap())
      .filter((type) => isScalarType(type) && type.specifiedByURL)
      .map((type) => [type.name, type.specifiedByURL])),
    directivesWithIsRepeatable: directives.filter((d) => typeof d.isRepeatable === 'boolean').map((d) => d.name),
    directives: directives.map((d) => d.name),
    deprecatedLocations: schema.getDirective('deprecated')?.locations ?? [],
    differencesFromSnapshot: differences,
  };
});
