using System.Diagnostics;
using GraphQL;

namespace Scheduling.Schema.Telemetry;

/// <summary>One GraphQL operation's span, duration and FHIR cost, recorded when disposed.</summary>
public sealed class OperationTelemetry : IDisposable
{
    private readonly Activity? _activity;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly string _type;
    private readonly string _name;
    private string _outcome = "ok";

    public OperationTelemetry(string type, string? name)
    {
        _type = type;
        _name = name ?? "anonymous";
        Cost = OperationCost.Begin();
        _activity = GatewayTelemetry.Source.StartActivity($"GraphQL {_type} {_name}", ActivityKind.Internal);
        _activity?.SetTag("graphql.operation.type", _type);
        _activity?.SetTag("graphql.operation.name", _name);
    }

    public OperationCost Cost { get; }

    public TimeSpan Elapsed => _clock.Elapsed;

    public void Complete(ExecutionResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        _outcome = !result.Executed ? "rejected" : result.Errors is { Count: > 0 } ? "errors" : "ok";
        _activity?.SetTag("graphql.errors", result.Errors?.Count ?? 0);
    }

    /// <summary>
    /// The Server-Timing header value: the whole operation's duration; <paramref name="detailed"/> (admins, Development)
    /// adds the time spent waiting on FHIR and how many requests it took.
    /// </summary>
    public string ServerTiming(bool detailed) => detailed
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"fhir;dur={Cost.FhirTime.TotalMilliseconds:F2};desc=\"{Cost.FhirRequests} requests\", gateway;dur={_clock.Elapsed.TotalMilliseconds:F2}")
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"gateway;dur={_clock.Elapsed.TotalMilliseconds:F2}");

    public void Dispose()
    {
        _clock.Stop();
        _activity?.SetTag("fhir.request_count", Cost.FhirRequests);
        _activity?.SetTag("fhir.wait_ms", Cost.FhirTime.TotalMilliseconds);
        _activity?.SetTag("graphql.outcome", _outcome);
        if (_outcome != "ok")
        {
            _activity?.SetStatus(ActivityStatusCode.Error, _outcome);
        }

        _activity?.Dispose();
        var tags = new TagList { { "graphql.operation.type", _type }, { "graphql.outcome", _outcome } };
        GatewayTelemetry.Operations.Add(1, tags);
        GatewayTelemetry.OperationDuration.Record(_clock.Elapsed.TotalMilliseconds, tags);
        GatewayTelemetry.OperationFhirRequests.Record(Cost.FhirRequests, tags);
    }
}
