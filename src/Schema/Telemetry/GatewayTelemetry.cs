using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Scheduling.Schema.Telemetry;

/// <summary>
/// The gateway's traces and metrics: a span per GraphQL operation and per FHIR request, and how many FHIR requests
/// (and how much time waiting on FHIR) each operation cost. Exported by OpenTelemetry when configured.
/// </summary>
public static class GatewayTelemetry
{
    public const string Name = "Scheduling.Gateway";

    public static readonly ActivitySource Source = new(Name);

    public static readonly Meter Meter = new(Name);

    public static readonly Counter<long> FhirRequests = Meter.CreateCounter<long>("fhir.requests", description: "FHIR requests sent upstream");

    public static readonly Histogram<double> FhirRequestDuration = Meter.CreateHistogram<double>("fhir.request.duration", "ms", "Time of one FHIR request");

    public static readonly Counter<long> Operations = Meter.CreateCounter<long>("graphql.operations", description: "GraphQL operations executed");

    public static readonly Histogram<double> OperationDuration = Meter.CreateHistogram<double>("graphql.operation.duration", "ms", "Time of one GraphQL operation");

    public static readonly Histogram<long> OperationFhirRequests = Meter.CreateHistogram<long>("graphql.operation.fhir_requests", description: "FHIR requests one GraphQL operation cost");
}

/// <summary>
/// What the FHIR requests of the current GraphQL operation cost; flows with the operation (AsyncLocal), so the
/// HTTP handler that sends a FHIR request adds to the operation that caused it.
/// </summary>
public sealed class OperationCost
{
    private static readonly AsyncLocal<OperationCost?> CurrentCost = new();
    private long _requests;
    private long _ticks;

    public static OperationCost? Current => CurrentCost.Value;

    public long FhirRequests => Interlocked.Read(ref _requests);

    public TimeSpan FhirTime => TimeSpan.FromTicks(Interlocked.Read(ref _ticks));

    /// <summary>Starts counting for the operation that runs in this async flow.</summary>
    public static OperationCost Begin()
    {
        var cost = new OperationCost();
        CurrentCost.Value = cost;
        return cost;
    }

    public void Add(TimeSpan elapsed)
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Add(ref _ticks, elapsed.Ticks);
    }
}
