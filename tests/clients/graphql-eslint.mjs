// graphql-eslint's schema rules over the schema the running gateway serves (its introspection printed as SDL):
// the Relay rules (connections, edges whose nodes implement Node, PageInfo, pagination arguments), descriptions on
// every type, field, argument, enum value and directive, and the recommended naming convention.
//   node graphql-eslint.mjs '{"url":"..."}'
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import graphqlPlugin from '@graphql-eslint/eslint-plugin';
import { ESLint } from 'eslint';
import { args, run, scratch, servedSchema, write } from './lib/gateway.mjs';

/**
 * The rules and their options (the README's "Clients" section shows the same). Two options differ from the rules'
 * defaults, on purpose: relay-edge-types' listTypeCanWrapOnlyEdgeType (default on) would allow no list but a
 * connection's edges (no `name: [HumanName!]!`, no `errors` list in a payload, no `nodes` shortcut), and
 * relay-arguments' includeBoth (default on) asks every connection for backward pagination (last/before): the
 * connections over FHIR searches page forwards only, as FHIR does; availability, computed by the gateway, offers both.
 */
export const schemaRules = {
  '@graphql-eslint/relay-connection-types': 'error',
  '@graphql-eslint/relay-edge-types': ['error', { withEdgeSuffix: true, shouldImplementNode: true, listTypeCanWrapOnlyEdgeType: false }],
  '@graphql-eslint/relay-page-info': 'error',
  '@graphql-eslint/relay-arguments': ['error', { includeBoth: false }],
  '@graphql-eslint/require-description': ['error', {
    types: true,
    rootField: true,
    FieldDefinition: true,
    InputValueDefinition: true,
    EnumValueDefinition: true,
    DirectiveDefinition: true,
  }],
  '@graphql-eslint/naming-convention': graphqlPlugin.configs['flat/schema-recommended'].rules['@graphql-eslint/naming-convention'],
};

await run(async () => {
  const { url, token } = args();
  const out = scratch('graphql-eslint');
  const schema = write(join(out, 'schema.graphql'), (await servedSchema(url, token)).sdl);
  const eslint = new ESLint({
    cwd: out,
    overrideConfigFile: true,
    overrideConfig: [{
      files: ['**/*.graphql'],
      languageOptions: { parser: graphqlPlugin.parser, parserOptions: { graphQLConfig: { schema } } },
      plugins: { '@graphql-eslint': graphqlPlugin },
      rules: schemaRules,
    }],
  });
  const [result] = await eslint.lintFiles([schema]);
  const lines = readFileSync(schema, 'utf8').split('\n');
  return {
    eslintVersion: ESLint.version,
    rules: Object.keys(schemaRules),
    problems: result.messages.map((m) => `${m.ruleId ?? 'parse'} at ${m.line}:${m.column} (${(lines[m.line - 1] ?? '').trim()}): ${m.message}`),
  };
});
