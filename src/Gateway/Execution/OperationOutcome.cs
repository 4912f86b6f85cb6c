using GraphQL;

namespace Scheduling.Gateway.Execution;

/// <summary>What the pipeline made of one operation; each transport maps it to its wire format.</summary>
internal abstract record OperationOutcome;

/// <summary>Not executed: a coded refusal, with the HTTP status GraphQL over HTTP gives it.</summary>
internal record OperationRefused(int Status, string Code, string Message) : OperationOutcome
{
    /// <summary>The methods that would be allowed (for 405), if any.</summary>
    public string? Allow { get; init; }
}

/// <summary>The caller is over its rate: nothing was read or run.</summary>
internal sealed record OperationRateLimited(TimeSpan RetryAfter)
    : OperationRefused(429, TokenBuckets.RateLimitedCode, TokenBuckets.RateLimitedMessage);

/// <summary>The operation ran past its deadline and was cancelled.</summary>
internal sealed record OperationTimedOut(int Seconds)
    : OperationRefused(504, "OPERATION_TIMEOUT", $"The operation did not finish within {Seconds} s and was cancelled.");

/// <summary>
/// Handed to the executer: its result (<see cref="ExecutionResult.Executed"/> is false when parsing, validation or
/// variables stopped it; <see cref="ExecutionResult.Streams"/> holds a subscription's events), and the Server-Timing value.
/// </summary>
internal sealed record OperationExecuted(ExecutionResult Result, string ServerTiming) : OperationOutcome;
