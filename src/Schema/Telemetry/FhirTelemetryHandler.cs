using System.Collections.Frozen;
using System.Diagnostics;
using System.Globalization;
using Hl7.Fhir.Model;

namespace Scheduling.Schema.Telemetry;

/// <summary>A span, metrics and the operation's cost for every request to the FHIR server (inside retries: each attempt counts).</summary>
public sealed class FhirTelemetryHandler : DelegatingHandler
{
    private static readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> ResourceTypes =
        ModelInfo.SupportedResources.ToFrozenSet(StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();

    private static readonly string[] Statuses = [.. Enumerable.Range(0, 600).Select(code => code.ToString(CultureInfo.InvariantCulture))];

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var method = request.Method.Method;
        var resourceType = ResourceTypeOf(request.RequestUri);
        using var activity = GatewayTelemetry.Source.HasListeners()
            ? GatewayTelemetry.Source.StartActivity("FHIR " + method + " " + resourceType, ActivityKind.Client)
            : null;
        activity?.SetTag("http.request.method", method);
        activity?.SetTag("fhir.resource_type", resourceType);
        var cost = OperationCost.Current;
        cost?.RequestStarted();
        var started = Stopwatch.GetTimestamp();
        var status = "error";
        try
        {
            var response = await base.SendAsync(request, cancellationToken);
            var code = (int)response.StatusCode;
            status = code is >= 0 and < 600 ? Statuses[code] : code.ToString(CultureInfo.InvariantCulture);
            activity?.SetTag("http.response.status_code", code);
            return response;
        }
        finally
        {
            var elapsed = Stopwatch.GetElapsedTime(started);
            cost?.RequestEnded();
            var tags = new TagList { { "http.request.method", method }, { "fhir.resource_type", resourceType }, { "http.response.status_code", status } };
            GatewayTelemetry.FhirRequests.Add(1, tags);
            GatewayTelemetry.FhirRequestDuration.Record(elapsed.TotalMilliseconds, tags);
        }
    }

    /// <summary>
    /// The resource type a FHIR URL is about: its last path segment that names an R4 resource type (<c>Slot/7</c>,
    /// <c>Slot?...</c>, <c>Patient/p/Appointment</c>, <c>Slot/7/_history/2</c>), or "unknown" (the server's base, <c>metadata</c>).
    /// Only type names count, so an id or another segment never becomes a metric's tag value.
    /// </summary>
    internal static string ResourceTypeOf(Uri? url)
    {
        if (url is null)
        {
            return "unknown";
        }

        var path = url.IsAbsoluteUri ? url.AbsolutePath.AsSpan() : url.OriginalString.AsSpan();
        if (!url.IsAbsoluteUri && path.IndexOfAny('?', '#') is var end and >= 0)
        {
            path = path[..end];
        }

        while (!path.IsEmpty)
        {
            var slash = path.LastIndexOf('/');
            var segment = path[(slash + 1)..];
            if (ResourceTypes.TryGetValue(segment, out var type))
            {
                return type;
            }

            path = slash < 0 ? [] : path[..slash];
        }

        return "unknown";
    }
}
