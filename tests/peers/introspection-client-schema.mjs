// A client tool's view of the gateway's schema: graphql-js's introspection query with every option on, sent over
// HTTP, then buildClientSchema (what GraphiQL, codegen and the IDEs do).
//   node introspection-client-schema.mjs <graphql-url>
// Prints JSON lines: {"event":"started"}, then {"event":"result",...} or {"event":"error","message":...}.
import { buildClientSchema, getIntrospectionQuery, isScalarType } from 'graphql';

const [url] = process.argv.slice(2);
const print = (line) => process.stdout.write(JSON.stringify(line) + '\n');
print({ event: 'started' });

try {
  const query = getIntrospectionQuery({
    descriptions: true,
    specifiedByUrl: true,
    directiveIsRepeatable: true,
    schemaDescription: true,
    inputValueDeprecation: true,
    oneOf: true,
  });
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body: JSON.stringify({ query }),
  });
  const body = await response.json();
  if (response.status !== 200 || body.errors) {
    print({ event: 'error', message: `HTTP ${response.status}: ${JSON.stringify(body.errors)}` });
  } else {
    const schema = buildClientSchema(body.data);
    const directives = body.data.__schema.directives;
    print({
      event: 'result',
      description: schema.description ?? null,
      types: Object.keys(schema.getTypeMap()).length,
      specifiedByURLs: Object.fromEntries(Object.values(schema.getTypeMap())
        .filter((type) => isScalarType(type) && type.specifiedByURL)
        .map((type) => [type.name, type.specifiedByURL])),
      directivesWithIsRepeatable: directives.filter((d) => typeof d.isRepeatable === 'boolean').map((d) => d.name),
      directives: directives.map((d) => d.name),
      deprecatedLocations: schema.getDirective('deprecated')?.locations ?? [],
    });
  }
} catch (error) {
  print({ event: 'error', message: String(error?.stack ?? error) });
  process.exitCode = 1;
}
