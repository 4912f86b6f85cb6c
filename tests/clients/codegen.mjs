// GraphQL Code Generator (client preset) over the schema fetched from the running gateway and the operations every
// client shares, then TypeScript's checker with --strict (and noUncheckedIndexedAccess) over the generated types,
// a typed week view and its use with Apollo Client; the week view must hold no non-null assertion (`x!`) and no cast.
//   node codegen.mjs '{"url":"..."}'
import { copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from '@graphql-codegen/cli';
import ts from 'typescript';
import { codegenConfig } from './codegen.config.mjs';
import { args, operationSets, operations, root, run, scratch, servedSchema, write } from './lib/gateway.mjs';

await run(async () => {
  const { url, token } = args();
  const out = scratch('codegen');
  const schema = write(join(out, 'schema.graphql'), (await servedSchema(url, token)).sdl);
  const documents = operations(operationSets());
  const generated = await generate(codegenConfig({ schema, documents: documents.map((d) => d.path), out }), true);

  const sources = readdirSync(join(root, 'typescript')).filter((name) => name.endsWith('.ts'));
  for (const name of sources) copyFileSync(join(root, 'typescript', name), join(out, name));

  const options = {
    strict: true,
    noUncheckedIndexedAccess: true,
    noImplicitOverride: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    resolveJsonModule: true,
    skipLibCheck: true,
    types: [],
  };
  const program = ts.createProgram(sources.map((name) => join(out, name)), options);
  const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file ? `${d.file.fileName.slice(out.length + 1)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}: ` : '';
    return where + ts.flattenDiagnosticMessageText(d.messageText, '\n');
  });

  // What the hand-written files may not do to get past the types.
  const escapes = [];
  for (const name of sources) {
    const file = program.getSourceFile(join(out, name));
    const visit = (node) => {
      const kind = ts.isNonNullExpression(node) ? 'non-null assertion'
        : ts.isAsExpression(node) || ts.isTypeAssertionExpression(node) ? 'cast'
          : node.kind === ts.SyntaxKind.AnyKeyword ? 'any' : null;
      if (kind) escapes.push(`${name}:${file.getLineAndCharacterOfPosition(node.getStart()).line + 1}: ${kind} ${node.getText()}`);
      ts.forEachChild(node, visit);
    };
    visit(file);
  }

  return {
    typescriptVersion: ts.version,
    strict: options.strict,
    documents: documents.map((d) => `${d.set}/${d.name}.graphql`),
    generatedFiles: generated.map((file) => file.filename.slice(out.length + 1)).sort(),
    checkedFiles: sources,
    diagnostics,
    escapes,
  };
});
