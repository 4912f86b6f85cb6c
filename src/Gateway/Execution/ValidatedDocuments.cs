using GraphQL;
using GraphQL.DI;
using GraphQL.Types;
using GraphQL.Validation;
using GraphQLParser.AST;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Execution;

namespace Scheduling.Gateway.Execution;

/// <summary>
/// Documents (their text and the operation name asked for) that passed validation, parsed: the pipeline parses a
/// request's document once per text, and a document that passed once is not walked again by the rules its text alone
/// decides (<see cref="RuleScopes"/>); the rules its variables, its caller or the schema decide run on every request
/// (<see cref="ValidatedDocumentStep"/>). Only a document that passed every rule is kept, under the same schema and the
/// same document rules, within <see cref="GraphQLOptions.ValidatedDocumentCacheCharacters"/>: least recently used
/// ones make room, so no client can grow it.
/// </summary>
public sealed class ValidatedDocuments : IDisposable
{
    /// <summary>What an entry costs beyond its text: the key, the entry and the parsed nodes' headers.</summary>
    internal const int EntryOverhead = 1024;

    private readonly MemoryCache? _entries;

    public ValidatedDocuments(IOptions<GraphQLOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var limit = options.Value.ValidatedDocumentCacheCharacters;
        Limit = limit;
        _entries = limit > 0 ? new MemoryCache(new MemoryCacheOptions { SizeLimit = limit, CompactionPercentage = 0.25, TrackStatistics = true }) : null;
    }

    /// <summary>The most characters (texts and overheads) kept at once.</summary>
    public long Limit { get; }

    /// <summary>Characters (texts and overheads) kept now.</summary>
    public long Size => _entries?.GetCurrentStatistics()?.CurrentEstimatedSize ?? 0;

    /// <summary>Documents kept now.</summary>
    public long Count => _entries?.Count ?? 0;

    /// <summary>The document <paramref name="text"/> parsed, if it passed validation with <paramref name="operationName"/> selecting.</summary>
    internal Entry? Find(string text, string? operationName) =>
        _entries is not null && _entries.TryGetValue(new Key(text, operationName), out Entry? entry) ? entry : null;

    /// <summary>The same, when it passed under this schema and these document rules.</summary>
    internal Entry? Find(string text, string? operationName, ISchema schema, IReadOnlyList<IValidationRule> documentRules) =>
        Find(text, operationName) is { } entry && ReferenceEquals(entry.Schema, schema) && entry.DocumentRules.SequenceEqual(documentRules, ReferenceEqualityComparer.Instance)
            ? entry
            : null;

    /// <summary>Whether <paramref name="text"/> is kept as validated (for tests and diagnostics).</summary>
    public bool Contains(string text, string? operationName) => Find(text, operationName) is not null;

    internal void Add(string text, string? operationName, Entry entry)
    {
        // An entry that does not fit is refused, and the cache drops a quarter of its size (least recently used first) for the next ones.
        _entries?.Set(new Key(text, operationName), entry, new MemoryCacheEntryOptions { Size = (long)text.Length + EntryOverhead });
    }

    public void Dispose() => _entries?.Dispose();

    private readonly record struct Key(string Text, string? OperationName);

    /// <summary>A validated document, parsed, and what it was validated against.</summary>
    internal sealed record Entry(GraphQLDocument Document, ISchema Schema, IReadOnlyList<IValidationRule> DocumentRules);
}

/// <summary>
/// The executer's step for <see cref="ValidatedDocuments"/>: after the options (every rule of the request is known)
/// and the persisted-document step (the text that runs is known), a validated document runs with the rules its request
/// still decides only; a document that passes every rule is kept.
/// </summary>
internal sealed class ValidatedDocumentStep(ValidatedDocuments documents) : IConfigureExecution
{
    /// <summary>After <c>ConfigureExecutionOptions</c> and validation rules (100) and the persisted-document step (200).</summary>
    public float SortOrder => 250;

    public async Task<ExecutionResult> ExecuteAsync(ExecutionOptions options, ExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(next);
        if (options.Query is not { } text || options.Schema is not { } schema)
        {
            return await next(options).ConfigureAwait(false);
        }

        var rules = RuleScopes.Of(options.ValidationRules ?? DocumentValidator.CoreRules);
        var validated = documents.Find(text, options.OperationName, schema, rules.DocumentOnly);
        if (validated is not null)
        {
            options.Document = validated.Document;
            options.ValidationRules = rules.PerRequest;
        }

        var result = await next(options).ConfigureAwait(false);
        // Executed: every validation rule passed (and the variables), so the rules the document decides pass it again.
        if (validated is null && result.Executed && (result.Document ?? options.Document) is { } document)
        {
            documents.Add(text, options.OperationName, new(document, schema, rules.DocumentOnly));
        }

        return result;
    }
}
