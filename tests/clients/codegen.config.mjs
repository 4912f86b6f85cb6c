// GraphQL Code Generator's configuration for client teams (the README's "Clients" section shows the same): the
// client preset for typed documents and results, and fragment-matcher for Apollo's possibleTypes.
export const codegenConfig = ({ schema, documents, out }) => ({
  schema,
  documents,
  ignoreNoDocuments: false,
  silent: true,
  generates: {
    [`${out}/gql/`]: {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        scalars: { DateTime: 'string' },
        strictScalars: true,
        useTypeImports: true,
      },
    },
    [`${out}/possible-types.ts`]: { plugins: ['fragment-matcher'], config: { apolloClientVersion: 3 } },
    [`${out}/possible-types.json`]: { plugins: ['fragment-matcher'], config: { apolloClientVersion: 3 } },
  },
});
