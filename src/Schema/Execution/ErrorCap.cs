using GraphQL;
using GraphQL.DI;
using Microsoft.Extensions.Options;

namespace Scheduling.Schema.Execution;

/// <summary>
/// At most <see cref="GraphQLOptions.MaxErrors"/> errors in one answer, on every transport: the rest are summed up in
/// one TOO_MANY_ERRORS error, so a document built to fail everywhere cannot turn a small request into a huge answer.
/// </summary>
public sealed class ErrorCap(IOptions<GraphQLOptions> settings) : IConfigureExecution
{
    public float SortOrder => 0;

    public async Task<ExecutionResult> ExecuteAsync(ExecutionOptions options, ExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(next);
        var result = await next(options).ConfigureAwait(false);
        var limit = settings.Value.MaxErrors;
        if (result.Errors is { } errors && errors.Count > limit)
        {
            var left = errors.Count - limit;
            var kept = new ExecutionErrors();
            foreach (var error in errors.Take(limit))
            {
                kept.Add(error);
            }

            kept.Add(new ExecutionError($"{left} more errors were left out; at most {limit} are reported.") { Code = "TOO_MANY_ERRORS" });
            result.Errors = kept;
        }

        return result;
    }
}
