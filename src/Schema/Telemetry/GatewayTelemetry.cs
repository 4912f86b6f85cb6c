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
/// What the FHIR requests of the current GraphQL operation cost: how many, and the wall-clock time with at least
/// one in flight (a level's requests run in parallel, so their durations are not summed). Flows with the operation
/// (AsyncLocal), so the HTTP handler that sends a FHIR request adds to the operation that caused it.
/// </summary>
public sealed class OperationCost
{
    private static readonly AsyncLocal<OperationCost?> CurrentCost = new();
    private readonly Lock _gate = new();
    private long _requests;
    private int _inFlight;
    private long _busySince;
    private long _busyTicks;

    public static OperationCost? Current => CurrentCost.Value;

    public long FhirRequests
    {
        get
        {
            lock (_gate)
            {
                return _requests;
            }
        }
    }

    /// <summary>Wall-clock time the operation spent waiting on FHIR.</summary>
    public TimeSpan FhirTime
    {
        get
        {
            lock (_gate)
            {
                return System.Diagnostics.Stopwatch.GetElapsedTime(0, _busyTicks);
            }
        }
    }

    /// <summary>Starts counting for the operation that runs in this async flow.</summary>
    public static OperationCost Begin()
    {
        var cost = new OperationCost();
        CurrentCost.Value = cost;
        return cost;
    }

    public void RequestStarted()
    {
        lock (_gate)
        {
            if (_inFlight++ == 0)
            {
                _busySince = System.Diagnostics.Stopwatch.GetTimestamp();
            }
        }
    }

    public void RequestEnded()
    {
        lock (_gate)
        {
            _requests++;
            if (--_inFlight == 0)
            {
                _busyTicks += System.Diagnostics.Stopwatch.GetTimestamp() - _busySince;
            }
        }
    }
}
