using GraphQL;
using GraphQL.DI;
using GraphQL.Validation;
using Scheduling.Schema.Common;

namespace Scheduling.Schema.Execution;

/// <summary>
/// A variable or literal a scalar or an id argument refused (<see cref="ScalarInputException"/>) is reported with the scalar's own
/// message and code, e.g. <c>DATETIME_OFFSET_MISSING</c>, instead of GraphQL.NET's "Unable to convert '…' to
/// 'DateTime'": the client learns what is wrong and can tell it apart by code. Where (the variable, the argument) is kept.
/// </summary>
public sealed class ScalarInputErrors : IConfigureExecution
{
    public float SortOrder => 1;

    public async Task<ExecutionResult> ExecuteAsync(ExecutionOptions options, ExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(next);
        var result = await next(options).ConfigureAwait(false);
        if (result.Errors is { } errors && errors.Any(e => Refusal(e) is not null))
        {
            var rewritten = new ExecutionErrors();
            foreach (var error in errors)
            {
                rewritten.Add(Refusal(error) is { } refused ? Rewrite(error, refused) : error);
            }

            result.Errors = rewritten;
        }

        return result;
    }

    private static ScalarInputException? Refusal(ExecutionError error)
    {
        if (error is not GraphQL.Validation.ValidationError)
        {
            return null;
        }

        for (var inner = error.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is ScalarInputException refused)
            {
                return refused;
            }
        }

        return null;
    }

    /// <summary>GraphQL.NET's opening ("Variable '$t' is invalid." / "Invalid literal for argument 'where' of field 'slots'."), then the scalar's reason.</summary>
    private static ExecutionError Rewrite(ExecutionError error, ScalarInputException refused)
    {
        var message = error.Message;
        var opening = message.IndexOf(error is InvalidVariableError ? " is invalid. " : ". ", StringComparison.Ordinal);
        var where = opening < 0 ? string.Empty : message[..(message.IndexOf('.', opening) + 1)] + " ";
        var rewritten = new ExecutionError(where + refused.Message, refused) { Code = refused.Code };
        foreach (var location in error.Locations ?? [])
        {
            rewritten.AddLocation(location);
        }

        return rewritten;
    }
}
